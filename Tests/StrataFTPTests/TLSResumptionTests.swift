import Testing

@testable import StrataFTP

/// The hello parser behind `require_tls_resumption`, on hand-built records (the real clients
/// run against the server in `FTPClientTests`).
struct TLSResumptionTests {
    static func record(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, 3, 3, UInt8(body.count >> 8), UInt8(body.count & 255)] + body
    }

    static func handshake(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, UInt8(body.count >> 16), UInt8(body.count >> 8 & 255), UInt8(body.count & 255)] + body
    }

    static func clientHello(sessionID: [UInt8]) -> [UInt8] {
        let body: [UInt8] =
            [3, 3] + Array(repeating: 7, count: 32) + [UInt8(sessionID.count)] + sessionID
            + [0, 2, 0x13, 0x01, 1, 0] + [0, 0]
        return handshake(1, body)
    }

    static func serverHello(
        sessionID: [UInt8], extensions: [(UInt16, [UInt8])], random: [UInt8] = Array(repeating: 9, count: 32)
    ) -> [UInt8] {
        var ext: [UInt8] = []
        for (t, d) in extensions {
            ext += [UInt8(t >> 8), UInt8(t & 255), UInt8(d.count >> 8), UInt8(d.count & 255)] + d
        }
        let body: [UInt8] =
            [3, 3] + random + [UInt8(sessionID.count)] + sessionID + [0x13, 0x01, 0]
            + [UInt8(ext.count >> 8), UInt8(ext.count & 255)] + ext
        return handshake(2, body)
    }

    static let tls13: (UInt16, [UInt8]) = (43, [3, 4])
    static let psk: (UInt16, [UInt8]) = (41, [0, 0])
    static let keyShare: (UInt16, [UInt8]) = (51, [0, 29, 0, 2, 1, 2])

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var client: [UInt8]
        var server: [UInt8]
        var verdict: TLSResumption.Verdict
        var testDescription: String { name }
    }

    static let id = Array(1...32).map(UInt8.init)
    static let cases: [Case] = [
        Case(
            name: "TLS 1.3 with a pre-shared key", client: record(22, clientHello(sessionID: id)),
            server: record(22, serverHello(sessionID: id, extensions: [tls13, keyShare, psk])), verdict: .resumed),
        Case(
            name: "TLS 1.3 full handshake (legacy session id echoed, no psk)",
            client: record(22, clientHello(sessionID: id)),
            server: record(22, serverHello(sessionID: id, extensions: [tls13, keyShare])), verdict: .notResumed),
        Case(
            name: "TLS 1.2 session id echoed", client: record(22, clientHello(sessionID: id)),
            server: record(22, serverHello(sessionID: id, extensions: [])), verdict: .resumed),
        Case(
            name: "TLS 1.2 new session id", client: record(22, clientHello(sessionID: id)),
            server: record(22, serverHello(sessionID: Array(id.reversed()), extensions: [])), verdict: .notResumed),
        Case(
            name: "TLS 1.2 empty session ids", client: record(22, clientHello(sessionID: [])),
            server: record(22, serverHello(sessionID: [], extensions: [])), verdict: .notResumed),
        Case(
            name: "TLS 1.3 after a HelloRetryRequest", client: record(22, clientHello(sessionID: id)),
            server: record(22, serverHello(sessionID: id, extensions: [tls13], random: TLSResumption.retryRandom))
                + record(20, [1])
                + record(22, serverHello(sessionID: id, extensions: [tls13, keyShare, psk])), verdict: .resumed),
        Case(name: "not TLS at all", client: Array("GET / HTTP/1.1\r\n\r\n".utf8), server: [], verdict: .notResumed),
        Case(
            name: "application data before any hello", client: record(22, clientHello(sessionID: id)),
            server: record(23, [1, 2, 3]), verdict: .notResumed),
    ]

    @Test(arguments: cases) func verdicts(c: Case) {
        var whole = TLSResumption()
        whole.clientBytes(c.client)
        whole.serverBytes(c.server)
        #expect(whole.verdict == c.verdict)
        // The same bytes one at a time, the server's first: TCP may cut anywhere.
        var split = TLSResumption()
        for b in c.server { split.serverBytes([b]) }
        for b in c.client { split.clientBytes([b]) }
        #expect(split.verdict == c.verdict)
    }

    @Test func aHelloSpreadOverTwoRecordsIsReassembled() {
        let hello = Self.serverHello(sessionID: Self.id, extensions: [Self.tls13, Self.psk])
        var s = TLSResumption()
        s.clientBytes(Self.record(22, Self.clientHello(sessionID: Self.id)))
        s.serverBytes(Self.record(22, Array(hello.prefix(20))))
        #expect(s.verdict == .pending)
        s.serverBytes(Self.record(22, Array(hello.dropFirst(20))))
        #expect(s.verdict == .resumed)
    }

    @Test func endlessHandshakeBytesAreNotAHello() {
        var s = TLSResumption()
        // A handshake message that claims 16 MB never completes: given up at the cap.
        for _ in 0..<6 { s.clientBytes(Self.record(22, [1, 0xff, 0xff, 0xff] + Array(repeating: 0, count: 16_000))) }
        #expect(s.verdict == .notResumed)
    }
}
