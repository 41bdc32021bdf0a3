/// Bits appended least significant first into bytes: the packed integers and the XOR floats
/// of a block are bit streams, not byte streams (a counter that does not move costs 0 bits).
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var acc: UInt64 = 0
    private var used = 0

    init(reserving n: Int = 0) { bytes.reserveCapacity(n) }

    /// Appends the low `count` bits of `value` (0...64).
    @inline(__always)
    mutating func write(_ value: UInt64, _ count: Int) {
        guard count > 0 else { return }
        let v = count == 64 ? value : value & ((1 << UInt64(count)) - 1)
        acc |= v << UInt64(used)
        let room = 64 - used
        if count < room {
            used += count
            return
        }
        // The accumulator is full: flush it whole, keep what did not fit.
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: acc >> UInt64(i * 8))) }
        acc = room == 64 ? 0 : (count == room ? 0 : v >> UInt64(room))
        used = count - room
    }

    @inline(__always)
    mutating func writeBit(_ b: Bool) { write(b ? 1 : 0, 1) }

    /// The bytes so far, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        var n = used
        while n > 0 {
            bytes.append(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            n -= 8
        }
        used = 0
        acc = 0
        return bytes
    }
}

/// Reads what `BitWriter` wrote. Reading past the end is an error, never a trap: blocks come
/// from a file that may be damaged.
struct BitReader {
    private let bytes: [UInt8]
    private var bitPos: Int
    private let endBit: Int

    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        bitPos = start * 8
        endBit = end * 8
    }

    /// Reads `count` bits (0...64): one unaligned 8-byte load (and a ninth byte when the bits
    /// straddle it) instead of a byte at a time; decoding a channel-day is mostly this call.
    @inline(__always)
    mutating func read(_ count: Int) throws(SeriesBlockError) -> UInt64 {
        guard count > 0 else { return 0 }
        guard bitPos + count <= endBit else { throw .truncated }
        let at = bitPos >> 3
        let shift = bitPos & 7
        let n = bytes.count
        var out: UInt64 = bytes.withUnsafeBytes { raw in
            if at + 8 <= n {
                return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) >> UInt64(shift)
            }
            var w: UInt64 = 0
            for k in 0..<(n - at) { w |= UInt64(raw[at + k]) << UInt64(8 * k) }
            return w >> UInt64(shift)
        }
        if shift + count > 64 { out |= UInt64(bytes[at + 8]) << UInt64(64 - shift) }
        bitPos += count
        return count == 64 ? out : out & ((1 << UInt64(count)) - 1)
    }

    @inline(__always)
    mutating func readBit() throws(SeriesBlockError) -> Bool { try read(1) == 1 }
}

/// LEB128 varints and zig-zag signed integers, for headers and run lengths.
enum Varint {
    @inline(__always)
    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    @inline(__always)
    static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }

    static func append(_ v: UInt64, to out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func read(_ bytes: [UInt8], _ i: inout Int, end: Int) throws(SeriesBlockError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < end else { throw .truncated }
            let b = bytes[i]
            i += 1
            guard shift < 64 else { throw .corrupt("a varint longer than 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }
}
