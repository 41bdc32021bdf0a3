/// Unsigned integers bit-packed in groups of 32, each group as wide as its largest member
/// (frame-of-reference packing): a counter standing still for half an hour costs one byte,
/// small deltas a few bits each, and one outlier widens only its own group.
enum PackedIntegers {
    static let group = 32

    static func encode(_ values: [UInt64], into w: inout BitWriter) {
        var i = 0
        while i < values.count {
            let end = min(values.count, i + group)
            var any: UInt64 = 0
            for k in i..<end { any |= values[k] }
            let width = 64 - any.leadingZeroBitCount
            w.write(UInt64(width), 7)
            if width > 0 { for k in i..<end { w.write(values[k], width) } }
            i = end
        }
    }

    /// Decodes `count` zig-zagged integers, appending them signed to `out`.
    static func decodeSigned(count: Int, from r: inout BitReader, into out: inout [Int64]) throws(SeriesBlockError) {
        out.reserveCapacity(out.count + count)
        var left = count
        while left > 0 {
            let n = min(group, left)
            let width = Int(try r.read(7))
            guard width <= 64 else { throw .corrupt("a packed group \(width) bits wide") }
            if width == 0 {
                for _ in 0..<n { out.append(0) }
            } else {
                for _ in 0..<n { out.append(Varint.unzigzag(try r.read(width))) }
            }
            left -= n
        }
    }
}

/// Doubles that are not multiples of their channel's resolution, kept bit for bit with the
/// XOR scheme of Facebook's Gorilla paper (Pelkonen et al., VLDB 2015): a value equal to the
/// previous one costs a bit, one that differs in a few mantissa bits a few more.
enum XORFloats {
    static func encode(_ values: [Double], into w: inout BitWriter) {
        guard let first = values.first else { return }
        var prev = first.bitPattern
        w.write(prev, 64)
        var prevLeading = 65
        var prevTrailing = 0
        for v in values.dropFirst() {
            let bits = v.bitPattern
            let x = bits ^ prev
            prev = bits
            if x == 0 {
                w.writeBit(false)
                continue
            }
            w.writeBit(true)
            let leading = x.leadingZeroBitCount
            let trailing = x.trailingZeroBitCount
            if prevLeading <= 64, leading >= prevLeading, trailing >= prevTrailing {
                // Inside the previous window: only its bits.
                w.writeBit(false)
                w.write(x >> UInt64(prevTrailing), 64 - prevLeading - prevTrailing)
            } else {
                w.writeBit(true)
                let meaningful = 64 - leading - trailing
                w.write(UInt64(leading), 6)
                w.write(UInt64(meaningful - 1), 6)
                w.write(x >> UInt64(trailing), meaningful)
                prevLeading = leading
                prevTrailing = trailing
            }
        }
    }

    static func decode(count: Int, from r: inout BitReader) throws(SeriesBlockError) -> [Double] {
        guard count > 0 else { return [] }
        var out: [Double] = []
        out.reserveCapacity(count)
        var prev = try r.read(64)
        out.append(Double(bitPattern: prev))
        var leading = 65
        var trailing = 0
        for _ in 1..<count {
            if try r.readBit() {
                if try r.readBit() {
                    leading = Int(try r.read(6))
                    let meaningful = Int(try r.read(6)) + 1
                    guard leading + meaningful <= 64 else { throw .corrupt("an XOR window past 64 bits") }
                    trailing = 64 - leading - meaningful
                } else if leading > 64 {
                    throw .corrupt("an XOR value reuses a window before one was set")
                }
                let x = try r.read(64 - leading - trailing) << UInt64(trailing)
                prev ^= x
            }
            out.append(Double(bitPattern: prev))
        }
        return out
    }
}

/// CRC-32 (IEEE), so a damaged block is reported instead of decoded into wrong numbers.
/// Slice-by-8: eight table lookups per 8 bytes instead of one per byte (a byte-wise CRC was a
/// quarter of a block's decoding time).
enum CRC32 {
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[n] = c
        }
        for n in 0..<256 {
            for k in 1..<8 { t[k * 256 + n] = (t[(k - 1) * 256 + n] >> 8) ^ t[Int(t[(k - 1) * 256 + n] & 0xFF)] }
        }
        return t
    }()

    static func of(_ bytes: [UInt8], count: Int) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            bytes.withUnsafeBytes { raw in
                var i = 0
                while i + 8 <= count {
                    let lo = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                    let hi = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                    c =
                        t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                        ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                        ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                        ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                    i += 8
                }
                while i < count {
                    c = t[Int((c ^ UInt32(raw[i])) & 0xFF)] ^ (c >> 8)
                    i += 1
                }
            }
        }
        return c ^ 0xFFFF_FFFF
    }
}
