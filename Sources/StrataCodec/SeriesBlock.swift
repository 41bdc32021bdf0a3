/// One reading of a block: its slot (minute of the block's span), the value, and for
/// counters the store's cumulative steps and high-water mark.
public struct SeriesPoint: Equatable, Sendable {
    public var slot: Int
    public var value: Double
    public var cum: Int64?
    public var hwm: Int64?

    public init(slot: Int, value: Double, cum: Int64? = nil, hwm: Int64? = nil) {
        self.slot = slot
        self.value = value
        self.cum = cum
        self.hwm = hwm
    }
}

/// What a stored block can be refused for, with the reason; the store adds channel and day.
public enum SeriesBlockError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case checksum
    case version(Int)
    case corrupt(String)

    public var description: String {
        switch self {
        case .truncated: "the block ends early"
        case .checksum: "the block's checksum does not match its bytes"
        case .version(let v): "block format \(v) is newer than this strata reads"
        case .corrupt(let why): "the block is damaged: \(why)"
        }
    }
}

/// A channel's readings over one span (a day of minutes, a month of quarter-hours) as one
/// compact, lossless byte string.
///
/// Layout: format version, flags, decimals, slot and point counts; which slots hold a
/// reading as alternating runs (a full day is two bytes); the values, as scaled integers
/// (the channel's declared resolution) with first or second differences bit-packed, or, when
/// any value is not a multiple of the resolution, as Gorilla XOR floats; the counters'
/// cumulative steps and high-water marks as offsets from the value's own steps, differenced
/// and packed (a constant offset costs a bit per 32 readings); a CRC-32 of all of it.
/// Decoding gives back every double bit for bit.
public struct SeriesBlock: Equatable, Sendable {
    /// 2 added the product reconstruction and exceptions (flags 64 and 128); 1 is still read.
    public static let formatVersion = 2

    /// Slots in the block's span (1440 for a day of minutes).
    public var slots: Int
    /// The channel's resolution as decimals (3 for 0.001 kWh, -1 for steps of 10).
    public var decimals: Int
    /// Readings in slot order, at most one per slot.
    public var points: [SeriesPoint]

    public init(slots: Int, decimals: Int, points: [SeriesPoint]) {
        self.slots = slots
        self.decimals = decimals
        self.points = points
    }

    enum Flag {
        static let scaled: UInt8 = 1
        static let secondOrder: UInt8 = 2
        static let cumShift: UInt8 = 2 // 2 bits: none, all, some
        static let hwmShift: UInt8 = 4
        /// Scaled values are `n × 10^-d` (a Modbus register times its scale) instead of `n / 10^d`
        /// (a decimal parsed from text): the two differ in the last bit for many values.
        static let product: UInt8 = 64
        /// Some scaled values are neither: they follow as exact doubles.
        static let exceptions: UInt8 = 128
        static let known: UInt8 = 255
    }

    enum Presence: UInt8 {
        case none = 0
        case all = 1
        case some = 2
    }

    static let powers: [Double] = (0...22).map { p in (0..<p).reduce(1.0) { a, _ in a * 10 } }

    /// How scaled integers become doubles again.
    enum Reconstruction { case quotient, product }

    /// The values as integers of the resolution, with the reconstruction most of them come back
    /// from bit for bit; the others are exceptions, kept whole. Nil when any value is not
    /// finite or too large, or when exceptions would cost more than XOR floats.
    static func scaled(_ values: [Double], decimals: Int) -> (steps: [Int64], mode: Reconstruction, exceptions: [Int])?
    {
        guard abs(decimals) <= 22 else { return nil }
        let scale = powers[abs(decimals)]
        var out: [Int64] = []
        out.reserveCapacity(values.count)
        var quotientMiss: [Int] = []
        var productMiss: [Int] = []
        for (k, v) in values.enumerated() {
            let x = (decimals >= 0 ? v * scale : v / scale).rounded()
            guard x.isFinite, abs(x) < 9.0e15 else { return nil }
            let n = Int64(x)
            if unscale(n, decimals: decimals, scale: scale, .quotient).bitPattern != v.bitPattern {
                quotientMiss.append(k)
            }
            if unscale(n, decimals: decimals, scale: scale, .product).bitPattern != v.bitPattern {
                productMiss.append(k)
            }
            out.append(n)
        }
        let (mode, misses) =
            productMiss.count < quotientMiss.count ? (Reconstruction.product, productMiss) : (.quotient, quotientMiss)
        // An exception costs about ten bytes; past one value in eight, XOR floats win.
        guard misses.count * 8 <= values.count else { return nil }
        return (out, mode, misses)
    }

    @inline(__always)
    static func unscale(_ n: Int64, decimals: Int, scale: Double, _ mode: Reconstruction) -> Double {
        if decimals < 0 { return Double(n) * scale }
        return mode == .quotient ? Double(n) / scale : Double(n) * (1 / scale)
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [UInt8(Self.formatVersion), 0]
        Varint.append(Varint.zigzag(Int64(decimals)), to: &out)
        Varint.append(UInt64(slots), to: &out)
        Varint.append(UInt64(points.count), to: &out)
        Self.appendRuns(points.map(\.slot), to: &out)

        var flags: UInt8 = 0
        let values = points.map(\.value)
        let steps: [Int64]
        if let (n, mode, exceptions) = Self.scaled(values, decimals: decimals) {
            flags |= Flag.scaled | (mode == .product ? Flag.product : 0) | (exceptions.isEmpty ? 0 : Flag.exceptions)
            steps = n
            let first = Self.differences(n, order: 1)
            let second = Self.differences(n, order: 2)
            let useSecond = Self.packedBits(second) < Self.packedBits(first)
            if useSecond { flags |= Flag.secondOrder }
            let d = useSecond ? second : first
            // The first one or two terms are large (the reading itself): varints, outside the groups.
            let head = min(d.count, useSecond ? 2 : 1)
            for k in 0..<head { Varint.append(Varint.zigzag(d[k]), to: &out) }
            Self.appendBits(to: &out, reserving: d.count) {
                PackedIntegers.encode(d.dropFirst(head).map(Varint.zigzag), into: &$0)
            }
            if !exceptions.isEmpty {
                // Which points, as runs over the points, then each one's bits.
                Self.appendRuns(exceptions, to: &out)
                for k in exceptions {
                    let b = values[k].bitPattern
                    for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: b >> UInt64(i * 8))) }
                }
            }
        } else {
            steps = Array(repeating: 0, count: values.count)
            Self.appendBits(to: &out, reserving: values.count * 4) { XORFloats.encode(values, into: &$0) }
        }
        flags |= Self.appendOffsets(points.map(\.cum), steps, &out) << Flag.cumShift
        flags |= Self.appendOffsets(points.map(\.hwm), steps, &out) << Flag.hwmShift
        out[1] = flags
        let crc = CRC32.of(out, count: out.count)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(k * 8))) }
        return out
    }

    /// Order-1 or order-2 differences (wrapping: any Int64 round-trips).
    static func differences(_ n: [Int64], order: Int) -> [Int64] {
        var d = n
        for _ in 0..<order {
            var prev: Int64 = 0
            for k in d.indices {
                let v = d[k]
                d[k] = v &- prev
                prev = v
            }
        }
        return d
    }

    static func integrate(_ d: inout [Int64], order: Int) {
        for _ in 0..<order {
            var acc: Int64 = 0
            for k in d.indices {
                acc = acc &+ d[k]
                d[k] = acc
            }
        }
    }

    static func packedBits(_ d: [Int64]) -> Int {
        var bits = 0
        var i = min(d.count, 2)
        while i < d.count {
            let end = min(d.count, i + PackedIntegers.group)
            var any: UInt64 = 0
            for k in i..<end { any |= Varint.zigzag(d[k]) }
            bits += 7 + (64 - any.leadingZeroBitCount) * (end - i)
            i = end
        }
        return bits
    }

    /// Optional integers stored as offsets from the values' steps, differenced and packed;
    /// returns the presence flag.
    static func appendOffsets(_ column: [Int64?], _ steps: [Int64], _ out: inout [UInt8]) -> UInt8 {
        let present = column.indices.filter { column[$0] != nil }
        if present.isEmpty { return Presence.none.rawValue }
        let all = present.count == column.count
        // Which points have one: runs over the points, as for slots.
        if !all { appendRuns(present, to: &out) }
        let offsets = present.map { (column[$0] ?? 0) &- steps[$0] }
        let d = differences(offsets, order: 1)
        Varint.append(Varint.zigzag(d[0]), to: &out)
        appendBits(to: &out, reserving: d.count / 8) {
            PackedIntegers.encode(d.dropFirst().map(Varint.zigzag), into: &$0)
        }
        return all ? Presence.all.rawValue : Presence.some.rawValue
    }

    /// Ascending positions as alternating runs of absent and present ones (a full day of
    /// minutes is two small numbers); `readRuns` reads them back.
    static func appendRuns(_ positions: [Int], to out: inout [UInt8]) {
        var runs: [UInt64] = []
        var next = 0
        var i = 0
        while i < positions.count {
            var j = i
            while j + 1 < positions.count, positions[j + 1] == positions[j] + 1 { j += 1 }
            runs.append(UInt64(positions[i] - next))
            runs.append(UInt64(j - i + 1))
            next = positions[j] + 1
            i = j + 1
        }
        Varint.append(UInt64(runs.count), to: &out)
        for r in runs { Varint.append(r, to: &out) }
    }

    /// A bit stream, prefixed with its length in bytes; `readBits` opens it again.
    static func appendBits(to out: inout [UInt8], reserving bytes: Int, _ write: (inout BitWriter) -> Void) {
        var w = BitWriter(reserving: bytes)
        write(&w)
        let b = w.finish()
        Varint.append(UInt64(b.count), to: &out)
        out += b
    }
}
