import StrataTestSupport
import Testing

@testable import StrataCodec

/// Random series of the shapes meters produce, and of the shapes they should not.
enum Series {
    static func random(seed: UInt64) -> SeriesBlock {
        var g = SplitMix(seed: seed)
        let decimals = Int.random(in: -2...6, using: &g)
        let scale = (0..<abs(decimals)).reduce(1.0) { a, _ in a * 10 }
        let shape = Int.random(in: 0..<7, using: &g)
        // Decimals parsed from text (n / 10^d) or a register times its scale (n × 10^-d); now
        // and then one value a bit off either, kept as an exception.
        let product = Bool.random(using: &g)
        func scaled(_ n: Int64) -> Double {
            let v = decimals >= 0 ? (product ? Double(n) * (1 / scale) : Double(n) / scale) : Double(n) * scale
            return Int.random(in: 0..<60, using: &g) == 0 ? v.nextUp : v
        }
        var points: [SeriesPoint] = []
        var steps = Int64.random(in: 0...9_000_000_000, using: &g)
        var offset = Int64.random(in: -1_000...1_000, using: &g)
        var slot = 0
        while slot < 1440 {
            // Gaps: a dead meter for a while.
            if Int.random(in: 0..<40, using: &g) == 0 {
                slot += Int.random(in: 1...300, using: &g)
                continue
            }
            let value: Double
            switch shape {
            case 0, 1: // a counter: standing still, creeping, jumping, reset, rolled over
                let r = Int.random(in: 0..<100, using: &g)
                if r < 40 {
                } else if r < 95 {
                    steps += Int64.random(in: 0...50, using: &g)
                } else if r < 97 {
                    steps = 0
                    offset += Int64.random(in: 1...1_000_000, using: &g)
                } else {
                    steps += Int64.random(in: 0...10_000_000, using: &g)
                }
                value = scaled(steps)
            case 2: // a gauge around a level
                steps = max(0, steps / 1_000_000 + Int64.random(in: -300...300, using: &g))
                value = scaled(steps)
            case 3: // doubles of every magnitude, not multiples of any resolution
                value = Double(bitPattern: g.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random(using: &g) ? 1 : -1)
            case 4: // a constant, then a few mantissa bits moving
                value =
                    230.0 + Double(Int.random(in: 0...3, using: &g)) * 0.1 + 1e-9
                    * Double(Int.random(in: 0...1, using: &g))
            case 5: // a Modbus float32 register: 230.4567 V as the meter's float, widened
                value = Double(Float(229.5 + Double(Int.random(in: 0...20_000, using: &g)) / 10_000))
            default: // odd ones: zeros of both signs, tiny, huge
                value = [0.0, -0.0, Double.leastNonzeroMagnitude, 1.7e308, -1e-300, 42].randomElement(using: &g) ?? 0
            }
            let counter = shape <= 1
            let cum: Int64? = counter && Int.random(in: 0..<20, using: &g) != 0 ? steps &+ offset : nil
            let hwm: Int64? =
                counter && Int.random(in: 0..<10, using: &g) == 0
                ? (cum ?? 0) &+ Int64.random(in: -5...Int64.max / 4, using: &g) : nil
            points.append(SeriesPoint(slot: slot, value: value, cum: cum, hwm: hwm))
            slot += 1
        }
        return SeriesBlock(slots: 1440, decimals: decimals, points: points)
    }
}

@Suite struct SeriesBlockTests {
    /// Bit-exact equality (`==` on doubles calls -0.0 and 0.0 equal).
    func same(_ a: SeriesBlock, _ b: SeriesBlock) -> Bool {
        a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy {
                $0.slot == $1.slot && $0.value.bitPattern == $1.value.bitPattern && $0.cum == $1.cum && $0.hwm == $1.hwm
            }
    }

    @Test(arguments: [1, 2, 3, -1])
    func registerTimesScaleStaysScaled(decimals: Int) throws {
        // 3 × 0.1 is 0.30000000000000004, not 0.3: a Modbus read gives the product.
        let step = decimals >= 0 ? 1 / SeriesBlock.powers[decimals] : SeriesBlock.powers[-decimals]
        let b = SeriesBlock(
            slots: 1440, decimals: decimals,
            points: (0..<1440).map { SeriesPoint(slot: $0, value: Double(1000 + $0 * 3) * step) })
        #expect(
            b.points.contains {
                decimals > 0
                    && $0.value.bitPattern != (Double(1000 + $0.slot * 3) / SeriesBlock.powers[decimals]).bitPattern
            } || decimals < 0)
        let e = b.encoded()
        #expect(e[1] & SeriesBlock.Flag.scaled != 0)
        #expect(e.count < 100, "\(e.count) bytes") // XOR floats would take kilobytes
        #expect(same(try SeriesBlock(decoding: e), b))
    }

    @Test func aFewValuesOffTheResolutionAreExceptionsNotAReasonForXOR() throws {
        var points = (0..<1440).map { SeriesPoint(slot: $0, value: Double(50_000 + $0 * 7) / 1000) }
        for k in stride(from: 5, to: 1440, by: 100) { points[k].value = points[k].value.nextUp }
        let b = SeriesBlock(slots: 1440, decimals: 3, points: points)
        let e = b.encoded()
        #expect(e[1] & SeriesBlock.Flag.exceptions != 0)
        #expect(e.count < 300, "\(e.count) bytes")
        #expect(same(try SeriesBlock(decoding: e), b))
        // Past one value in eight, XOR floats.
        for k in stride(from: 0, to: 1440, by: 4) { points[k].value = points[k].value.nextUp }
        let x = SeriesBlock(slots: 1440, decimals: 3, points: points)
        #expect(x.encoded()[1] & SeriesBlock.Flag.scaled == 0)
        #expect(same(try SeriesBlock(decoding: x.encoded()), x))
    }

    @Test(arguments: 0..<300 as Range<UInt64>)
    func randomSeriesRoundTripBitForBit(seed: UInt64) throws {
        let block = Series.random(seed: seed)
        let back = try SeriesBlock(decoding: block.encoded())
        #expect(back.slots == block.slots && back.decimals == block.decimals)
        #expect(back.points.count == block.points.count)
        for (a, b) in zip(block.points, back.points) {
            #expect(
                a.slot == b.slot && a.value.bitPattern == b.value.bitPattern && a.cum == b.cum && a.hwm == b.hwm,
                "seed \(seed) slot \(a.slot): \(a) became \(b)")
        }
    }

    @Test(arguments: [
        ("123456789", 0xCBF4_3926 as UInt32), ("", 0), ("a", 0xE8B7_BE43),
        ("The quick brown fox jumps over the lazy dog", 0x414F_A339),
    ])
    func crc32IsTheStandardOne(text: String, crc: UInt32) {
        let b = Array(text.utf8)
        #expect(CRC32.of(b, count: b.count) == crc)
    }

    @Test func anEmptyAndAOnePointBlockRoundTrip() throws {
        for b in [
            SeriesBlock(slots: 1440, decimals: 3, points: []),
            SeriesBlock(slots: 96, decimals: 0, points: [SeriesPoint(slot: 95, value: 7, cum: 7, hwm: nil)]),
        ] {
            #expect(try SeriesBlock(decoding: b.encoded()) == b)
        }
    }

    @Test(arguments: [-40, 23, 30, 1000])
    func decimalsNoScaledBlockCanHoldStillRoundTrip(decimals: Int) throws {
        let b = SeriesBlock(
            slots: 4, decimals: decimals,
            points: [SeriesPoint(slot: 1, value: 12.5), SeriesPoint(slot: 3, value: -0.25)])
        #expect(try SeriesBlock(decoding: b.encoded()) == b)
    }

    @Test func aLengthPastAnyArrayIsAnErrorNotATrap() {
        // Version 1, XOR values, decimals 0, one slot, one point, runs [0, 1], then a bit
        // stream claiming 2^64 - 1 bytes; the checksum is not looked at (a fuzzer's view).
        let bytes: [UInt8] = [1, 0, 0, 1, 1, 2, 0, 1] + Array(repeating: 0xFF, count: 9) + [0x01] + [0, 0, 0, 0]
        #expect(throws: SeriesBlockError.truncated) { try SeriesBlock.columns(bytes, verifyChecksum: false) }
    }

    @Test func aValueOffTheResolutionIsKeptExactlyNotRounded() throws {
        // 0.0005 is not a multiple of 0.001: the whole block falls back to XOR floats.
        let b = SeriesBlock(
            slots: 3, decimals: 3, points: [SeriesPoint(slot: 0, value: 1.001), SeriesPoint(slot: 1, value: 1.0015)])
        #expect(try SeriesBlock(decoding: b.encoded()).points.map(\.value) == [1.001, 1.0015])
    }

    @Test func aCounterStandingStillAllDayCostsAlmostNothing() throws {
        let points = (0..<1440).map { SeriesPoint(slot: $0, value: 12_345.678, cum: 12_345_678 + 500) }
        let bytes = SeriesBlock(slots: 1440, decimals: 3, points: points).encoded()
        #expect(bytes.count < 120, "\(bytes.count) bytes")
    }

    @Test func everyDamagedByteIsDetected() throws {
        let bytes = Series.random(seed: 7).encoded()
        for i in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            var bad = bytes
            bad[i] ^= 0x20
            #expect(throws: SeriesBlockError.self) { try SeriesBlock(decoding: bad) }
        }
        #expect(throws: SeriesBlockError.self) { try SeriesBlock(decoding: Array(bytes.dropLast(3))) }
        #expect(throws: SeriesBlockError.self) { try SeriesBlock(decoding: []) }
    }

    /// Real meters: the AMPds2 water and gas counters (1 L) and the electricity sub-meter's
    /// power and energy, a day per block, against the 1.5 bytes a point of issue 14.
    @Test(arguments: [
        ("water", Fixtures.water, "counter", 0), ("gas", Fixtures.gas, "counter", 0),
        ("power", Fixtures.electricity, "P", 0), ("energy", Fixtures.electricity, "Pt", 0),
    ])
    func realSeriesRoundTripAndStaySmall(name: String, file: String, column: String, decimals: Int) throws {
        let rows = try Fixtures.column(file, column)
        var days: [Int64: [SeriesPoint]] = [:]
        for (t, v) in rows {
            let day = t - ((t % 86_400) + 86_400) % 86_400
            days[day, default: []].append(SeriesPoint(slot: Int((t - day) / 60), value: v, cum: nil))
        }
        var bytes = 0
        var points = 0
        for (_, ps) in days.sorted(by: { $0.key < $1.key }).prefix(60) {
            var seen = Set<Int>()
            let unique = ps.filter { seen.insert($0.slot).inserted }.sorted { $0.slot < $1.slot }
            let block = SeriesBlock(slots: 1440, decimals: decimals, points: unique)
            let e = block.encoded()
            #expect(try SeriesBlock(decoding: e) == block)
            bytes += e.count
            points += unique.count
        }
        let perPoint = Double(bytes) / Double(max(points, 1))
        print("codec \(name): \(points) points, \(bytes) bytes, \(String(format: "%.3f", perPoint)) B/point")
        #expect(points > 10_000)
        #expect(perPoint < 8, "\(perPoint) B/point")
    }
}
