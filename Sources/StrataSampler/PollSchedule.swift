/// When polls happen: ticks aligned to the wall-clock minute, every `step` seconds, where
/// `step` divides every device's poll interval.
public struct PollSchedule: Sendable, Equatable {
    public let step: Int64

    public init(intervals: [Int]) {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        step = Int64(intervals.reduce(60) { gcd($0, $1) })
    }

    /// The first tick strictly after `t`.
    public func tick(after t: Double) -> Int64 {
        let s = Double(step)
        return Int64((t / s).rounded(.down) * s) + step
    }

    /// Whether a device polled every `interval` seconds is due at `tick`.
    public func isDue(interval: Int, at tick: Int64) -> Bool {
        ((tick % 60) + 60) % 60 % Int64(interval) == 0
    }
}

/// Decides what a tick means when the system clock may step (NTP, a manual change) or be
/// wrong (a box without a real-time clock before NTP sync).
public struct ClockGuard: Sendable {
    /// Before this instant the clock cannot be right: Strata did not exist yet.
    public let plausibleAfter: Int64
    /// The newest tick sampled (at start: the newest stored minute). No tick at or before it
    /// is sampled again, so a minute never gets a second value with a different meaning.
    public var lastWritten: Int64?

    public init(plausibleAfter: Int64, lastWritten: Int64?) {
        self.plausibleAfter = plausibleAfter
        self.lastWritten = lastWritten
    }

    public enum Verdict: Equatable, Sendable {
        case sample
        /// The clock is before `plausibleAfter`.
        case implausible
        /// The clock is at or before a minute already written (it stepped back).
        case behindStore(lastWritten: Int64)
        /// The wake-up came too late for the tick: the clock stepped forward, or the machine
        /// was suspended. The minutes in between are gaps; nothing is invented for them.
        case missed(by: Double)
        /// The wake-up came before the tick: the clock stepped back while sleeping.
        case early(by: Double)
    }

    public func check(now: Double, tick: Int64, tolerance: Double) -> Verdict {
        if now < Double(plausibleAfter) { return .implausible }
        if let l = lastWritten, tick <= l { return .behindStore(lastWritten: l) }
        if now < Double(tick) - 0.5 { return .early(by: Double(tick) - now) }
        if now > Double(tick) + tolerance { return .missed(by: now - Double(tick)) }
        return .sample
    }
}
