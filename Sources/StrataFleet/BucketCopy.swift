import StrataCore

/// One bucket of one site's channel, as the central server stores it.
public struct FleetBucket: Sendable, Equatable {
    public var device: String
    public var channel: String
    public var tier: Tier
    public var start: Int64
    public var end: Int64
    public var aggregate: Aggregate
    public var isCounter: Bool

    public init(device: String, channel: String, tier: Tier, start: Int64, end: Int64, aggregate: Aggregate, isCounter: Bool) {
        self.device = device
        self.channel = channel
        self.tier = tier
        self.start = start
        self.end = end
        self.aggregate = aggregate
        self.isCounter = isCounter
    }
}

/// Buckets as the lines of a `COPY … FROM STDIN` in PostgreSQL's text format: tab-separated,
/// `\N` for null, backslash escapes in text. The bulk path: several times an INSERT's rate.
public enum BucketCopy {
    public static let columns = [
        "site", "device", "channel", "tier", "start", "end", "count", "consumption", "min", "max", "sum", "first", "last",
        "flags", "peak", "peak_start",
    ]

    /// Flags: 1 provisional, 2 interpolated (as the archive marks them).
    public static func flags(_ a: Aggregate) -> Int { (a.provisional ? 1 : 0) | (a.interpolated ? 2 : 0) }

    public static func append(_ b: FleetBucket, site: String, to out: inout [UInt8]) {
        text(site, &out)
        tab(&out)
        text(b.device, &out)
        tab(&out)
        text(b.channel, &out)
        tab(&out)
        raw(String(FleetSchema.tierNumber(b.tier)), &out)
        tab(&out)
        time(b.start, &out)
        tab(&out)
        time(b.end, &out)
        tab(&out)
        let a = b.aggregate
        raw(String(a.count), &out)
        tab(&out)
        if b.isCounter { raw(String(a.consumption), &out) } else { null(&out) }
        for v in [a.min, a.max, b.isCounter ? nil : a.sum, a.first, a.last] {
            tab(&out)
            if let v { raw(number(v), &out) } else { null(&out) }
        }
        tab(&out)
        raw(String(flags(a)), &out)
        tab(&out)
        if let p = a.peak { raw(String(p), &out) } else { null(&out) }
        tab(&out)
        if let p = a.peakStart { time(p, &out) } else { null(&out) }
        out.append(0x0A)
    }

    /// UTC, as PostgreSQL reads a timestamptz.
    public static func timestamp(_ t: Int64) -> String { LocalDateTime(secondsSinceEpoch: t).description + "+00" }

    /// Shortest text that reads back as the same double (Swift's description does that).
    static func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "NaN" }

    static func tab(_ out: inout [UInt8]) { out.append(0x09) }
    static func null(_ out: inout [UInt8]) { out += [0x5C, 0x4E] }
    static func raw(_ s: String, _ out: inout [UInt8]) { out += Array(s.utf8) }
    static func time(_ t: Int64, _ out: inout [UInt8]) { raw(timestamp(t), &out) }

    static func text(_ s: String, _ out: inout [UInt8]) {
        for b in s.utf8 {
            switch b {
            case 0x5C: out += [0x5C, 0x5C]
            case 0x09: out += [0x5C, 0x74]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            default: out.append(b)
            }
        }
    }
}
