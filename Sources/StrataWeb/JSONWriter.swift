import StrataCore

/// A small streaming JSON writer: the series endpoint writes hundreds of thousands of numbers
/// per response, each at its channel's resolution (`1234.567`, never `1234.5670000001`), which
/// `JSONEncoder` neither does nor does quickly.
package struct JSONWriter: Sendable {
    package private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current container needs a comma first.
    private var needsComma = false

    package init(reserve: Int = 4096) { bytes.reserveCapacity(reserve) }

    private mutating func comma() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }

    package mutating func beginObject() {
        comma()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    package mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    package mutating func beginArray() {
        comma()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    package mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object key; the value written next belongs to it.
    package mutating func key(_ k: String) {
        comma()
        quoted(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    package mutating func string(_ s: String) {
        comma()
        quoted(s)
    }

    package mutating func string(_ s: String?) {
        if let s { string(s) } else { null() }
    }

    package mutating func int(_ v: Int64) {
        comma()
        bytes.append(contentsOf: String(v).utf8)
    }

    package mutating func bool(_ v: Bool) {
        comma()
        bytes.append(contentsOf: (v ? "true" : "false").utf8)
    }

    package mutating func null() {
        comma()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A number with `decimals` digits after the point (the channel's resolution).
    package mutating func number(steps: Int64, decimals: Int) {
        comma()
        Decimal.append(steps: steps, decimals: decimals, to: &bytes)
    }

    /// `"2026-12-02T13:00:00+01:00"` from a local time and its offset, digit by digit.
    package mutating func isoTime(_ local: LocalDateTime, offset: Int) {
        comma()
        @inline(__always) func two(_ v: Int) {
            bytes.append(UInt8(ascii: "0") + UInt8(v / 10))
            bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
        }
        let d = local.date
        let s = local.secondOfDay
        bytes.append(UInt8(ascii: "\""))
        if d.year >= 0 && d.year <= 9999 {
            two(d.year / 100)
            two(d.year % 100)
        } else {
            bytes.append(contentsOf: String(d.year).utf8)
        }
        bytes.append(UInt8(ascii: "-"))
        two(d.month)
        bytes.append(UInt8(ascii: "-"))
        two(d.day)
        bytes.append(UInt8(ascii: "T"))
        two(s / 3600)
        bytes.append(UInt8(ascii: ":"))
        two(s / 60 % 60)
        bytes.append(UInt8(ascii: ":"))
        two(s % 60)
        bytes.append(offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        two(abs(offset) / 3600)
        bytes.append(UInt8(ascii: ":"))
        two(abs(offset) / 60 % 60)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A double at a resolution; NaN and infinities (which JSON cannot carry) become null.
    package mutating func number(_ v: Double?, decimals: Int) {
        guard let v, v.isFinite else { return null() }
        let r = Resolution(decimals: decimals)
        let steps = (v / r.step).rounded()
        if abs(steps) < 9e15 {
            number(steps: Int64(steps), decimals: decimals)
        } else {
            comma()
            bytes.append(contentsOf: "\(v)".utf8)
        }
    }

    package mutating func field(_ k: String, _ v: String?) {
        key(k)
        string(v)
    }
    package mutating func field(_ k: String, _ v: Int64) {
        key(k)
        int(v)
    }
    package mutating func field(_ k: String, _ v: Int) {
        key(k)
        int(Int64(v))
    }
    package mutating func field(_ k: String, _ v: Bool) {
        key(k)
        bool(v)
    }

    private mutating func quoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Keys and ids need no escaping: copied whole (the series writes millions of them).
        if !s.utf8.contains(where: { $0 < 32 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: s.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 10: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 13: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 9: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(c >> 4)], hex[Int(c & 15)]])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
