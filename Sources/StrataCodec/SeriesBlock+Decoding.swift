/// A decoded block column by column, for readers that fill their own buffers (the store's
/// minute scan): no per-point struct with optional fields to build.
public struct SeriesColumns: Sendable {
    public var slots: Int
    public var decimals: Int
    /// Slot of each reading, ascending.
    public var slot: [Int32]
    public var value: [Double]
    /// Counters' cumulative steps and high-water marks; empty when no reading has one.
    public var cum: [Int64?]
    public var hwm: [Int64?]
}

extension SeriesBlock {
    /// Decodes a block; a damaged or truncated one is an error, never wrong numbers.
    /// (`verifyChecksum: false` is for the fuzzer, which must reach the parser behind the CRC.)
    public init(decoding bytes: [UInt8], verifyChecksum: Bool = true) throws(SeriesBlockError) {
        let c = try Self.columns(bytes, verifyChecksum: verifyChecksum)
        var points: [SeriesPoint] = []
        points.reserveCapacity(c.slot.count)
        for k in c.slot.indices {
            points.append(SeriesPoint(slot: Int(c.slot[k]), value: c.value[k], cum: c.cum.isEmpty ? nil : c.cum[k], hwm: c.hwm.isEmpty ? nil : c.hwm[k]))
        }
        self.init(slots: c.slots, decimals: c.decimals, points: points)
    }

    /// Decodes a block into columns.
    public static func columns(_ bytes: [UInt8], verifyChecksum: Bool = true) throws(SeriesBlockError) -> SeriesColumns {
        guard bytes.count >= 6 else { throw .truncated }
        let end = bytes.count - 4
        var stored: UInt32 = 0
        for k in 0..<4 { stored |= UInt32(bytes[end + k]) << UInt32(k * 8) }
        guard !verifyChecksum || CRC32.of(bytes, count: end) == stored else { throw .checksum }
        guard Int(bytes[0]) <= Self.formatVersion else { throw .version(Int(bytes[0])) }
        let flags = bytes[1]
        var i = 2
        let decimals = Varint.unzigzag(try Varint.read(bytes, &i, end: end))
        guard abs(decimals) <= 22 else { throw .corrupt("decimals \(decimals)") }
        let slots = try Varint.read(bytes, &i, end: end)
        let count = try Varint.read(bytes, &i, end: end)
        guard slots <= 1 << 24, count <= slots else { throw .corrupt("\(count) points in \(slots) slots") }
        let n = Int(count)

        var slotOf: [Int32] = []
        slotOf.reserveCapacity(n)
        let runCount = try Varint.read(bytes, &i, end: end)
        guard runCount <= 2 * slots + 2 else { throw .corrupt("\(runCount) presence runs") }
        var at = 0
        for r in 0..<Int(runCount) {
            let len = try Varint.read(bytes, &i, end: end)
            guard len <= slots, at + Int(len) <= Int(slots) else { throw .corrupt("presence runs past the span") }
            if r % 2 == 1 { for s in at..<(at + Int(len)) { slotOf.append(Int32(s)) } }
            at += Int(len)
        }
        guard slotOf.count == n else { throw .corrupt("presence runs for \(slotOf.count) points, header says \(n)") }

        var values: [Double]
        var steps: [Int64]
        if flags & Flag.scaled != 0 {
            let order = flags & Flag.secondOrder != 0 ? 2 : 1
            let head = min(n, order)
            var d: [Int64] = []
            d.reserveCapacity(n)
            for _ in 0..<head { d.append(Varint.unzigzag(try Varint.read(bytes, &i, end: end))) }
            let len = Int(try Varint.read(bytes, &i, end: end))
            guard len <= end - i else { throw .truncated }
            var r = BitReader(bytes, from: i, to: i + len)
            try PackedIntegers.decodeSigned(count: n - head, from: &r, into: &d)
            i += len
            Self.integrate(&d, order: order)
            steps = d
            let scale = Self.powers[Int(abs(decimals))]
            values = d.map { Self.unscale($0, decimals: Int(decimals), scale: scale) }
        } else {
            let len = Int(try Varint.read(bytes, &i, end: end))
            guard len <= end - i else { throw .truncated }
            var r = BitReader(bytes, from: i, to: i + len)
            values = try XORFloats.decode(count: n, from: &r)
            i += len
            steps = Array(repeating: 0, count: n)
        }
        let cums = try Self.readOffsets(Presence(rawValue: (flags >> Flag.cumShift) & 3), steps, bytes, &i, end: end)
        let hwms = try Self.readOffsets(Presence(rawValue: (flags >> Flag.hwmShift) & 3), steps, bytes, &i, end: end)
        guard i == end else { throw .corrupt("\(end - i) bytes left over") }
        return SeriesColumns(slots: Int(slots), decimals: Int(decimals), slot: slotOf, value: values, cum: cums, hwm: hwms)
    }

    static func readOffsets(_ presence: Presence?, _ steps: [Int64], _ bytes: [UInt8], _ i: inout Int, end: Int) throws(SeriesBlockError) -> [Int64?] {
        guard let presence else { throw .corrupt("an unknown presence flag") }
        if presence == .none { return [] }
        var out = [Int64?](repeating: nil, count: steps.count)
        var which: [Int] = []
        if presence == .all {
            which = Array(steps.indices)
        } else {
            let runCount = try Varint.read(bytes, &i, end: end)
            guard runCount <= 2 * UInt64(steps.count) + 2 else { throw .corrupt("\(runCount) runs of counter offsets") }
            var at = 0
            for r in 0..<Int(runCount) {
                let len = try Varint.read(bytes, &i, end: end)
                guard at + Int(clamping: len) <= steps.count else { throw .corrupt("counter offsets past the points") }
                if r % 2 == 1 { which += at..<(at + Int(len)) }
                at += Int(len)
            }
        }
        guard !which.isEmpty else { throw .corrupt("an empty offset column marked present") }
        var d: [Int64] = [Varint.unzigzag(try Varint.read(bytes, &i, end: end))]
        let len = Int(try Varint.read(bytes, &i, end: end))
        guard len <= end - i else { throw .truncated }
        var r = BitReader(bytes, from: i, to: i + len)
        try PackedIntegers.decodeSigned(count: which.count - 1, from: &r, into: &d)
        i += len
        integrate(&d, order: 1)
        for (k, p) in which.enumerated() { out[p] = d[k] &+ steps[p] }
        return out
    }
}
