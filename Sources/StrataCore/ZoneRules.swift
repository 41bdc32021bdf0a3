import Foundation

/// UTC offsets of one IANA time zone, precomputed as a transition table.
///
/// Foundation answers one offset at a time in microseconds; roll-ups need millions,
/// so the transitions are read once and searched in memory.
public struct ZoneRules: Sendable {
    public let identifier: String
    /// Transition instants (UTC seconds), ascending; `offsets[i]` applies from `instants[i]`.
    private let instants: [Int64]
    private let offsets: [Int32]
    private let initialOffset: Int32

    public init?(identifier: String) {
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        var instants: [Int64] = []
        var offsets: [Int32] = []
        // 1900 … 2200 covers any meter data and any sensible future.
        var d = Date(timeIntervalSince1970: -2_208_988_800)
        let limit = Date(timeIntervalSince1970: 7_258_118_400)
        initialOffset = Int32(tz.secondsFromGMT(for: d))
        while let next = tz.nextDaylightSavingTimeTransition(after: d), next < limit {
            instants.append(Int64(next.timeIntervalSince1970.rounded()))
            offsets.append(Int32(tz.secondsFromGMT(for: next)))
            d = next
        }
        self.instants = instants
        self.offsets = offsets
    }

    /// A fixed-offset zone, for tests and for sites that keep one offset all year.
    public init(fixedOffset seconds: Int, identifier: String? = nil) {
        self.identifier = identifier ?? "UTC\(formatOffset(seconds))"
        instants = []
        offsets = []
        initialOffset = Int32(seconds)
    }

    /// Offset from UTC in seconds at the UTC instant `t`.
    @inline(__always)
    public func offset(at t: Int64) -> Int {
        var lo = 0
        var hi = instants.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if instants[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return Int(lo == 0 ? initialOffset : offsets[lo - 1])
    }

    public func local(_ t: Int64) -> LocalDateTime {
        LocalDateTime(secondsSinceEpoch: t + Int64(offset(at: t)))
    }

    /// The first transition strictly after `t`, if any.
    public func nextTransition(after t: Int64) -> Int64? {
        var lo = 0
        var hi = instants.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if instants[mid] <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo < instants.count ? instants[lo] : nil
    }

    /// How a local wall-clock time maps to UTC.
    public enum Resolution: Equatable, Sendable {
        case unique(Int64)
        /// Fall-back: the wall time happens twice; earlier and later instants.
        case repeated(Int64, Int64)
        /// Spring-forward: the wall time does not exist; the instant the clock jumps.
        case skipped(transition: Int64)
    }

    public func resolve(_ local: LocalDateTime) -> Resolution {
        let l = local.secondsSinceEpoch
        let o1 = Int64(offset(at: l - 86_400))
        let o2 = Int64(offset(at: l + 86_400))
        var candidates: [Int64] = []
        for o in Set([o1, o2, Int64(offset(at: l))]) where Int64(offset(at: l - o)) == o {
            candidates.append(l - o)
        }
        candidates.sort()
        if candidates.count >= 2 { return .repeated(candidates[0], candidates[candidates.count - 1]) }
        if let c = candidates.first { return .unique(c) }
        let t = nextTransition(after: l - max(o1, o2) - 1) ?? (l - o1)
        return .skipped(transition: t)
    }

    /// The earliest instant whose wall-clock time is at or after `local`: the start of a local
    /// calendar period even when midnight is skipped or repeated.
    public func firstInstant(atOrAfter local: LocalDateTime) -> Int64 {
        switch resolve(local) {
        case .unique(let t): return t
        case .repeated(let a, _): return a
        case .skipped(let t): return t
        }
    }
}
