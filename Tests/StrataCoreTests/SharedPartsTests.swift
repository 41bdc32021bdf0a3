import StrataCore
import Testing

/// The pieces the servers and the report share: HMAC, HTML escaping, connection slots.
struct SharedPartsTests {
    static func hex(_ b: [UInt8]) -> String {
        b.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231, test case 2.
        let mac = HMAC.sha256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(Self.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block is hashed first.
        let long = HMAC.sha256(
            key: [UInt8](repeating: 0xaa, count: 131),
            Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(Self.hex(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(HMAC.constantTimeEqual(mac, mac))
        #expect(!HMAC.constantTimeEqual(mac, long))
        #expect(!HMAC.constantTimeEqual(mac, Array(mac.dropLast())))
    }

    @Test(arguments: [
        ("O'Brien's", "O&#39;Brien&#39;s"),
        ("say \"hi\"", "say &quot;hi&quot;"),
        ("<b>&</b>", "&lt;b&gt;&amp;&lt;/b&gt;"),
        ("Zähler", "Zähler"),
    ])
    func htmlEscapesBothQuotes(_ raw: String, _ escaped: String) {
        #expect(HTMLText.escape(raw) == escaped)
    }

    @Test func connectionSlotsLimitInAllAndPerAddress() {
        let slots = ConnectionSlots(max: 3, perAddress: 2)
        #expect(slots.admit("10.0.0.1") == nil)
        #expect(slots.admit("10.0.0.1") == nil)
        #expect(slots.admit("10.0.0.1") == .address)
        #expect(slots.admit("10.0.0.2") == nil)
        #expect(slots.admit("10.0.0.3") == .full)
        #expect(slots.open == 3)
        slots.leave("10.0.0.1")
        #expect(slots.admit("10.0.0.3") == nil)
        #expect(slots.open == 3)
        #expect(ConnectionSlots.Refusal.full.description == "Too many clients")
    }
}
