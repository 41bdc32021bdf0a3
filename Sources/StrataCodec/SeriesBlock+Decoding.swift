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
            points.append(
                SeriesPoint(
                    slot: Int(c.slot[k]), value: c.value[k], cum: c.cum.isEmpty ? nil : c.cum[k],
                    hwm: c.hwm.isEmpty ? nil : c.hwm[k]))
        }
        self.init(slots: c.slots, decimals: c.decimals, points: points)
    }

    /// Decodes a block into columns.
    public static func columns(_ bytes: [UInt8], verifyChecksum: Bool = true) throws(SeriesBlockError) -> SeriesColumns
    {
        guard bytes.count >= 6 else { throw .truncated }
        let end = bytes.count - 4
        var stored: UInt32 = 0
        for k in 0..<4 { stored |= UInt32(bytes[end + k]) << UInt32(k * 8) }
        guard !verifyChecksum || CRC32.of(bytes, count: end) == stored else { throw .checksum }
        guard Int(bytes[0]) <= Self.formatVersion else { throw .version(Int(bytes[0])) }
        let flags = bytes[1]
        // Flags a format-1 block cannot have mean damage there, not a newer writer.
        guard bytes[0] >= 2 || flags & (Flag.product | Flag.exceptions) == 0 else {
            throw .corrupt("flags \(flags) in a format-1 block")
        }
        var i = 2
        let decimals = Varint.unzigzag(try Varint.read(bytes, &i, end: end))
        // Any decimals round-trip (XOR blocks do not use them); scaled ones are at most 22.
        guard decimals >= Int64(Int32.min), decimals <= Int64(Int32.max) else { throw .corrupt("decimals \(decimals)") }
        let slots = try Varint.read(bytes, &i, end: end)
        let count = try Varint.read(bytes, &i, end: end)
        guard slots <= 1 << 24, count <= slots else { throw .corrupt("\(count) points in \(slots) slots") }
        let n = Int(count)
        var slotOf: [Int32] = []
        slotOf.reserveCapacity(n)
        try readRuns(bytes, &i, end: end, span: Int(slots), what: "presence") { slotOf.append(Int32($0)) }
        guard slotOf.count == n else { throw .corrupt("presence runs for \(slotOf.count) points, header says \(n)") }

        var values: [Double]
        var steps: [Int64]
        if flags & Flag.scaled != 0 {
            let order = flags & Flag.secondOrder != 0 ? 2 : 1
            let head = min(n, order)
            var d: [Int64] = []
            d.reserveCapacity(n)
            guard abs(decimals) <= 22 else { throw .corrupt("scaled values with decimals \(decimals)") }
            for _ in 0..<head { d.append(Varint.unzigzag(try Varint.read(bytes, &i, end: end))) }
            var r = try readBits(bytes, &i, end: end)
            try PackedIntegers.decodeSigned(count: n - head, from: &r, into: &d)
            Self.integrate(&d, order: order)
            steps = d
            let scale = Self.powers[Int(abs(decimals))]
            let mode: Reconstruction = flags & Flag.product != 0 ? .product : .quotient
            values = d.map { Self.unscale($0, decimals: Int(decimals), scale: scale, mode) }
            if flags & Flag.exceptions != 0 {
                var which: [Int] = []
                try readRuns(bytes, &i, end: end, span: n, what: "exception") { which.append($0) }
                guard !which.isEmpty, which.count * 8 <= n else {
                    throw .corrupt("\(which.count) exceptions in \(n) values")
                }
                guard which.count * 8 <= end - i else { throw .truncated }
                for k in which {
                    var b: UInt64 = 0
                    for j in 0..<8 { b |= UInt64(bytes[i + j]) << UInt64(j * 8) }
                    values[k] = Double(bitPattern: b)
                    i += 8
                }
            }
        } else {
            var r = try readBits(bytes, &i, end: end)
            values = try XORFloats.decode(count: n, from: &r)
            steps = Array(repeating: 0, count: n)
        }
        let cums = try Self.readOffsets(Presence(rawValue: (flags >> Flag.cumShift) & 3), steps, bytes, &i, end: end)
        let hwms = try Self.readOffsets(Presence(rawValue: (flags >> Flag.hwmShift) & 3), steps, bytes, &i, end: end)
        guard i == end else { throw .corrupt("\(end - i) bytes left over") }
        return SeriesColumns(
            slots: Int(slots), decimals: Int(decimals), slot: slotOf, value: values, cum: cums, hwm: hwms)
    }

    static func readOffsets(_ presence: Presence?, _ steps: [Int64], _ bytes: [UInt8], _ i: inout Int, end: Int)
        throws(SeriesBlockError) -> [Int64?]
    {
        guard let presence else { throw .corrupt("an unknown presence flag") }
        if presence == .none { return [] }
        var out = [Int64?](repeating: nil, count: steps.count)
        var which: [Int] = []
        if presence == .all {
            which = Array(steps.indices)
        } else {
            try readRuns(bytes, &i, end: end, span: steps.count, what: "counter offset") { which.append($0) }
        }
        guard !which.isEmpty else { throw .corrupt("an empty offset column marked present") }
        var d: [Int64] = [Varint.unzigzag(try Varint.read(bytes, &i, end: end))]
        var r = try readBits(bytes, &i, end: end)
        try PackedIntegers.decodeSigned(count: which.count - 1, from: &r, into: &d)
        integrate(&d, order: 1)
        for (k, p) in which.enumerated() { out[p] = d[k] &+ steps[p] }
        return out
    }

    /// Reads what `appendRuns` wrote: each present position, ascending, within `0..<span`.
    static func readRuns(
        _ bytes: [UInt8], _ i: inout Int, end: Int, span: Int, what: String,
        _ present: (Int) -> Void
    ) throws(SeriesBlockError) {
        let runCount = try Varint.read(bytes, &i, end: end)
        guard runCount <= 2 * UInt64(span) + 2 else { throw .corrupt("\(runCount) \(what) runs") }
        var at = 0
        for r in 0..<Int(runCount) {
            let len = try Varint.read(bytes, &i, end: end)
            guard len <= UInt64(span - at) else { throw .corrupt("\(what) runs past their span") }
            if r % 2 == 1 { for p in at..<(at + Int(len)) { present(p) } }
            at += Int(len)
        }
    }

    /// Opens a length-prefixed bit stream written by `appendBits` and moves `i` past it.
    static func readBits(_ bytes: [UInt8], _ i: inout Int, end: Int) throws(SeriesBlockError) -> BitReader {
        let len = try Varint.read(bytes, &i, end: end)
        guard len <= UInt64(end - i) else { throw .truncated }
        defer { i += Int(len) }
        return BitReader(bytes, from: i, to: i + Int(len))
    }
}
