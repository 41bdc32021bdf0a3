import StrataCore
import StrataMQTT
import Testing

/// MQTT meters' messages into readings: JSON paths, times, and what is refused.
struct IngestDecoderTests {
    static let berlin = ZoneRules(identifier: "Europe/Berlin")!
    let d = IngestDecoder(paths: ["ENERGY.Total", "ENERGY.Power", "phases.1.v"], timePath: "Time", zone: Self.berlin)

    func decode(_ s: String, arrival: Int64 = 1_796_212_800) -> Result<
        (ts: Int64, values: [Double?]), IngestDecoder.Failure
    > {
        d.decode(Array(s.utf8), arrival: arrival)
    }

    @Test func tasmotaSensorMessage() throws {
        // Tasmota's Time is site-local without an offset: 13:00:05 in Berlin is 12:00:05 UTC.
        let r = try decode(
            #"{"Time":"2026-12-02T13:00:05","ENERGY":{"Total":1234.567,"Power":"812"},"phases":[{"v":1},{"v":230.5}]}"#
        ).get()
        #expect(r.ts == 1_796_212_805)
        #expect(r.values == [1234.567, 812, 230.5])
    }

    @Test(arguments: [
        (#"{"Time":"2026-12-02T12:00:05Z","ENERGY":{"Total":1}}"#, Int64(1_796_212_805)),
        (#"{"Time":"2026-12-02T14:00:05+02:00","ENERGY":{"Total":1}}"#, 1_796_212_805),
        (#"{"Time":1796212805,"ENERGY":{"Total":1}}"#, 1_796_212_805),
        (#"{"Time":1796212805000,"ENERGY":{"Total":1}}"#, 1_796_212_805),
        (#"{"ENERGY":{"Total":1}}"#, 42),
    ])
    func timesWithAndWithoutOffsets(json: String, ts: Int64) throws {
        #expect(try decode(json, arrival: 42).get().ts == ts)
    }

    @Test func missingAndWrongTypedValuesAreGaps() throws {
        let r = try decode(#"{"ENERGY":{"Total":true,"Power":5}}"#).get()
        #expect(r.values == [nil, 5, nil])
    }

    @Test(arguments: [
        ("hello", IngestDecoder.Failure.notJSON),
        ("[1,2]", .notJSON),
        (#"{"ENERGY":{"Total":"lots"}}"#, .noValues),
        (#"{"Time":"yesterday","ENERGY":{"Total":1}}"#, .badTime("yesterday")),
    ])
    func refused(json: String, failure: IngestDecoder.Failure) {
        guard case .failure(let f) = decode(json) else {
            Issue.record("accepted \(json)")
            return
        }
        #expect(f == failure)
    }

    @Test func aHugePayloadIsRefusedUnread() {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: IngestDecoder.maxPayload + 1)
        guard case .failure(.tooLarge(let n)) = d.decode(big, arrival: 0) else {
            Issue.record("a payload over the limit was parsed")
            return
        }
        #expect(n == IngestDecoder.maxPayload + 1)
    }
}
