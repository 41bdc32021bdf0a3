/// How a value is laid out in 16-bit Modbus registers.
public enum RegisterType: String, Sendable, CaseIterable {
    case u16, s16, u32, s32, u64, float32, float64

    public var words: Int {
        switch self {
        case .u16, .s16: 1
        case .u32, .s32, .float32: 2
        case .u64, .float64: 4
        }
    }
}

/// Order of the 16-bit words of a multi-register value. Bytes inside a word are always
/// big-endian (the Modbus rule); meters differ only in which word comes first.
public enum WordOrder: String, Sendable, CaseIterable {
    case highFirst = "high-first"
    case lowFirst = "low-first"

    /// Spellings found in meter manuals and other drivers.
    public init?(name: String) {
        switch name.lowercased() {
        case "high-first", "msw-first", "big", "big-endian", "abcd": self = .highFirst
        case "low-first", "lsw-first", "little", "word-swapped", "cdab": self = .lowFirst
        default: return nil
        }
    }
}

public enum RegisterDecoder {
    /// Decodes `type.words` registers starting at `words[at]`; nil for NaN or infinity
    /// (a meter's way of saying "no value").
    public static func decode(_ words: [UInt16], at: Int, type: RegisterType, order: WordOrder) -> Double? {
        let n = type.words
        guard at >= 0, at + n <= words.count else { return nil }
        var bits: UInt64 = 0
        for k in 0..<n {
            let w = order == .highFirst ? words[at + k] : words[at + n - 1 - k]
            bits = bits << 16 | UInt64(w)
        }
        switch type {
        case .u16: return Double(UInt16(truncatingIfNeeded: bits))
        case .s16: return Double(Int16(bitPattern: UInt16(truncatingIfNeeded: bits)))
        case .u32: return Double(UInt32(truncatingIfNeeded: bits))
        case .s32: return Double(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .u64: return Double(bits)
        case .float32:
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
            return f.isFinite ? Double(f) : nil
        case .float64:
            let d = Double(bitPattern: bits)
            return d.isFinite ? d : nil
        }
    }

    /// The inverse, for simulators and tests.
    public static func encode(_ value: Double, type: RegisterType, order: WordOrder) -> [UInt16] {
        let bits: UInt64
        // Clamped to the register's range first: an out-of-range value never traps.
        let whole = value.isNaN ? 0 : Int64(max(-9.2e18, min(9.2e18, value.rounded())))
        switch type {
        case .u16: bits = UInt64(UInt16(clamping: whole))
        case .s16: bits = UInt64(UInt16(bitPattern: Int16(clamping: whole)))
        case .u32: bits = UInt64(UInt32(clamping: whole))
        case .s32: bits = UInt64(UInt32(bitPattern: Int32(clamping: whole)))
        case .u64: bits = value.isNaN || value <= 0 ? 0 : value >= 1.8e19 ? UInt64.max : UInt64(value.rounded())
        case .float32: bits = UInt64(Float(value).bitPattern)
        case .float64: bits = value.bitPattern
        }
        let n = type.words
        var high: [UInt16] = (0..<n).map { k in UInt16(truncatingIfNeeded: bits >> (16 * UInt64(n - 1 - k))) }
        if order == .lowFirst { high.reverse() }
        return high
    }
}
