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

    public init(
        device: String, channel: String, tier: Tier, start: Int64, end: Int64, aggregate: Aggregate, isCounter: Bool
    ) {
        self.device = device
        self.channel = channel
        self.tier = tier
        self.start = start
        self.end = end
        self.aggregate = aggregate
        self.isCounter = isCounter
    }
}

/// A push's rows, encoded ahead (off the connection's path) so the next push can be prepared
/// while the server takes this one.
public struct FleetPayload: Sendable {
    public var rows: Int
    /// The first instant of each UTC month partition the rows fall in.
    public var months: [Int64] { Array(Set(changes.map(\.month))).sorted() }
    /// Each tier's months the rows fall in.
    public var changes: [FleetChange]
    public var copy: [UInt8]

    public init(rows: Int, changes: [FleetChange], copy: [UInt8]) {
        self.rows = rows
        self.changes = changes
        self.copy = copy
    }
}

/// A UTC month of one tier that a push wrote buckets in (`site_change` on the server).
public struct FleetChange: Hashable, Sendable, Comparable {
    /// `FleetSchema.tierNumber`.
    public var tier: Int
    /// The month's first instant, UTC.
    public var month: Int64

    public init(tier: Int, month: Int64) {
        self.tier = tier
        self.month = month
    }

    public static func < (a: FleetChange, b: FleetChange) -> Bool { (a.tier, a.month) < (b.tier, b.month) }
}

/// Buckets as the lines of a `COPY … FROM STDIN` in PostgreSQL's text format: tab-separated,
/// `\N` for null, backslash escapes in text. The bulk path: several times an INSERT's rate.
public enum BucketCopy {
    public static let columns = [
        "site", "device", "channel", "tier", "start", "end", "count", "consumption", "min", "max", "sum", "first",
        "last",
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
        digits(Int64(FleetSchema.tierNumber(b.tier)), &out)
        tab(&out)
        time(b.start, &out)
        tab(&out)
        time(b.end, &out)
        tab(&out)
        let a = b.aggregate
        digits(Int64(a.count), &out)
        tab(&out)
        if b.isCounter { digits(a.consumption, &out) } else { null(&out) }
        tab(&out)
        optional(a.min, &out)
        tab(&out)
        optional(a.max, &out)
        tab(&out)
        optional(b.isCounter ? nil : a.sum, &out)
        tab(&out)
        optional(a.first, &out)
        tab(&out)
        optional(a.last, &out)
        tab(&out)
        digits(Int64(flags(a)), &out)
        tab(&out)
        if let p = a.peak { digits(p, &out) } else { null(&out) }
        tab(&out)
        if let p = a.peakStart { time(p, &out) } else { null(&out) }
        out.append(0x0A)
    }

    /// A whole push's buckets as COPY text, and the month partitions they need.
    public static func encode(_ buckets: [FleetBucket], site: String) -> FleetPayload {
        var out: [UInt8] = []
        out.reserveCapacity(buckets.count * 160)
        var changes = Set<FleetChange>()
        var last: (tier: Tier, from: Int64, to: Int64)?
        for b in buckets {
            append(b, site: site, to: &out)
            // Buckets come in time order per tier: one month look-up per month, not per bucket.
            if let m = last, m.tier == b.tier, b.start >= m.from, b.start < m.to { continue }
            let p = FleetSchema.partitionBounds(containing: b.start)
            last = (b.tier, p.from, p.to)
            changes.insert(FleetChange(tier: FleetSchema.tierNumber(b.tier), month: p.from))
        }
        return FleetPayload(rows: buckets.count, changes: changes.sorted(), copy: out)
    }

    /// UTC, as PostgreSQL reads a timestamptz.
    public static func timestamp(_ t: Int64) -> String {
        var out: [UInt8] = []
        time(t, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Shortest text that reads back as the same double (Swift's description does that); whole
    /// numbers, most readings, written directly in the same form ("12.0") without a String.
    static func number(_ v: Double, _ out: inout [UInt8]) {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 {
            if v == 0, v.sign == .minus { out.append(0x2D) }
            Decimal.append(steps: Int64(v) * 10, decimals: 1, to: &out)
        } else if v.isFinite {
            out += Array("\(v)".utf8)
        } else {
            out += [0x4E, 0x61, 0x4E]
        }
    }

    static func optional(_ v: Double?, _ out: inout [UInt8]) {
        if let v { number(v, &out) } else { null(&out) }
    }

    static func tab(_ out: inout [UInt8]) { out.append(0x09) }
    static func null(_ out: inout [UInt8]) { out += [0x5C, 0x4E] }
    static func digits(_ v: Int64, _ out: inout [UInt8]) { Decimal.append(steps: v, decimals: 0, to: &out) }

    /// `YYYY-MM-DD hh:mm:ss+00`, as the archive writes its labels.
    static func time(_ t: Int64, _ out: inout [UInt8]) {
        let l = LocalDateTime(secondsSinceEpoch: t)
        guard (0...9999).contains(l.date.year) else {
            out += Array((l.description + "+00").utf8)
            return
        }
        l.append(to: &out)
        out += [0x2B, 0x30, 0x30]
    }

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
