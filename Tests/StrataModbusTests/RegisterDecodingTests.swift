import StrataCore
import Testing

@testable import StrataModbus

@Suite struct RegisterDecodingTests {
    @Test(arguments: [
        (RegisterType.float32, WordOrder.highFirst, 230.5),
        (.float32, .lowFirst, -12.25),
        (.float64, .highFirst, 123_456.789),
        (.u16, .highFirst, 65535),
        (.s16, .highFirst, -32768),
        (.u32, .lowFirst, 4_000_000_000),
        (.s32, .lowFirst, -123_456),
        (.s32, .highFirst, 2_147_483_647),
        (.u64, .highFirst, 9_007_199_254_740_000),
    ])
    func roundTrip(type: RegisterType, order: WordOrder, value: Double) {
        let words = RegisterDecoder.encode(value, type: type, order: order)
        #expect(words.count == type.words)
        #expect(RegisterDecoder.decode([0xDEAD] + words, at: 1, type: type, order: order) == value)
    }

    @Test func knownWireBytes() {
        // 230.0 as float32 is 0x43660000; the EM340 keeps 2302 (230.2 V × 10) low word first.
        #expect(RegisterDecoder.decode([0x4366, 0x0000], at: 0, type: .float32, order: .highFirst) == 230)
        #expect(RegisterDecoder.decode([0x08FE, 0x0000], at: 0, type: .s32, order: .lowFirst) == 2302)
        #expect(RegisterDecoder.decode([0xFFFF, 0xFFFE], at: 0, type: .s32, order: .highFirst) == -2)
        #expect(RegisterDecoder.decode([0x7FC0, 0x0000], at: 0, type: .float32, order: .highFirst) == nil) // NaN
        #expect(RegisterDecoder.decode([0x4366], at: 0, type: .float32, order: .highFirst) == nil) // short answer
    }

    @Test func planDecodesScaleOffsetScaleFactorAndMissing() {
        let regs = [
            ProfileRegister(
                channel: "v", address: 10, function: .input, type: .s32, wordOrder: .lowFirst, scale: 0.1, unit: "V",
                kind: .gauge),
            ProfileRegister(
                channel: "t", address: 14, function: .input, type: .s16, wordOrder: .highFirst, scale: 0.1, offset: -40,
                unit: "°C", kind: .gauge),
            ProfileRegister(
                channel: "a", address: 2, function: .holding, type: .s16, wordOrder: .highFirst, scaleFactorAddress: 5,
                unit: "A", kind: .gauge, missing: -32768),
            ProfileRegister(
                channel: "b", address: 3, function: .holding, type: .s16, wordOrder: .highFirst, scaleFactorAddress: 5,
                unit: "A", kind: .gauge, missing: -32768),
        ]
        let plan = ReadPlan(registers: regs)
        #expect(
            plan.blocks == [
                ReadBlock(function: .holding, start: 2, count: 4), ReadBlock(function: .input, start: 10, count: 5),
            ])
        let holding: [UInt16] = [1234, 0x8000, 0, UInt16(bitPattern: -2)]
        let input: [UInt16] = [2302, 0, 0, 0, 650]
        let v = plan.decode([holding, input])
        #expect(v[0] == 230.20000000000002 || v[0] == 230.2)
        #expect(abs((v[1] ?? 0) - 25) < 1e-9)
        #expect(v[2] == 12.34)
        #expect(v[3] == nil) // 0x8000: not implemented
        #expect(plan.decode([nil, input])[2] == nil) // the block failed
    }

    @Test func sunSpecWalkFindsTheMeterModel() throws {
        // "SunS" at 40000, common model 1 (66 words), inverter 101 (50 words), meter 203.
        var map: [Int: UInt16] = [
            40000: 0x5375, 40001: 0x6E53, 40002: 1, 40003: 66, 40070: 101, 40071: 50, 40122: 203, 40123: 105,
        ]
        map[40124 + 105] = 0xFFFF
        let read = { (a: Int, n: Int) throws(SunSpecTestError) -> [UInt16] in
            guard a >= 40000 else { throw SunSpecTestError.exception }
            return (a..<(a + n)).map { map[$0] ?? 0 }
        }
        #expect(try SunSpec.locateMeter(read: read) == SunSpec.Meter(model: 203, start: 40124))
        map[40122] = 160
        #expect(throws: SunSpec.DiscoveryError.noMeterModel(found: [1, 101, 160])) {
            try SunSpec.locateMeter(read: read)
        }
        #expect(throws: SunSpec.DiscoveryError.noMarker) {
            try SunSpec.locateMeter { (_: Int, _: Int) throws(SunSpecTestError) -> [UInt16] in [0, 0] }
        }
    }
}

enum SunSpecTestError: Error { case exception }
