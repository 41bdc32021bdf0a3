/// What was done about a counter reading that did not simply go up.
public enum CounterAction: String, Sendable, Equatable, CaseIterable {
    /// The register wrapped at its declared rollover value; consumption continues across it.
    case rollover
    /// The meter restarted (or was replaced); the new reading counts as consumed since then.
    case reset
    /// A reset whose reading would exceed `max_rate`: it adds nothing.
    case resetIgnored = "reset-ignored"
    /// A short jump above `max_rate` that fell back to the trend: dropped.
    case spike
    /// A jump that later readings confirmed: counting continues from the new level, adding zero.
    case rebase
}

/// A recorded counter anomaly, exportable with `strata resets`.
public struct CounterEvent: Equatable, Sendable {
    public var ts: Int64
    public var oldValue: Double
    public var newValue: Double
    public var action: CounterAction

    public init(ts: Int64, oldValue: Double, newValue: Double, action: CounterAction) {
        self.ts = ts
        self.oldValue = oldValue
        self.newValue = newValue
        self.action = action
    }
}

/// Turns raw counter readings into a cumulative consumption curve that never goes down.
///
/// Pure state machine: feed readings in time order, get back the readings whose cumulative
/// value is decided (a jump above `max_rate` stays under judgement until the readings after it
/// show whether it was a spike or a new level) and the events to record.
public struct CounterProcessor: Sendable {
    public struct Config: Sendable, Equatable {
        public var resolution: Resolution
        public var rollover: Double?
        /// Largest plausible consumption per hour, in the channel's unit.
        public var maxRate: Double?
        /// Every drop is jitter, never a reset: a calculated channel (main minus sub-meters)
        /// dips when a sub-meter's reading runs ahead of the main's, and must neither go
        /// negative nor count the recovery twice. Its high-water mark absorbs the dip.
        public var dropsAreJitter = false

        public init(
            resolution: Resolution, rollover: Double? = nil, maxRate: Double? = nil, dropsAreJitter: Bool = false
        ) {
            self.resolution = resolution
            self.rollover = rollover
            self.maxRate = maxRate
            self.dropsAreJitter = dropsAreJitter
        }
    }

    /// State after the last decided reading.
    public struct State: Sendable, Equatable {
        public var ts: Int64
        public var value: Double
        /// High-water mark of the raw register, in steps.
        public var hwm: Int64
        /// Cumulative consumption in steps; always `hwm + offset` for some fixed offset since
        /// the last event.
        public var cum: Int64

        public init(ts: Int64, value: Double, hwm: Int64, cum: Int64) {
            self.ts = ts
            self.value = value
            self.hwm = hwm
            self.cum = cum
        }
    }

    public struct Output: Sendable, Equatable {
        /// Readings now decided, in time order; `cum == nil` means rejected (spike).
        public var decided: [Reading] = []
        /// For each decided reading whose high-water mark differs from its own value (jitter
        /// below the mark, spikes), the mark; the store keeps it to resume the state later.
        public var hwm: [Int64: Int64] = [:]
        public var events: [CounterEvent] = []
    }

    public let config: Config
    public private(set) var state: State?
    /// Readings above `max_rate`, waiting for three more readings to confirm or refute them.
    public private(set) var pending: [Reading] = []

    /// How many readings after a jump confirm it as a new level.
    public static let confirmations = 3

    public init(config: Config, state: State? = nil) {
        self.config = config
        self.state = state
    }

    var r: Resolution { config.resolution }

    /// Drops below the high-water mark up to this many steps are jitter (float32 registers).
    func tolerance(_ hwm: Int64) -> Int64 {
        if config.dropsAreJitter { return Resolution.maxSteps * 4 }
        return Swift.max(2, Int64((Double(hwm.magnitude) * 2e-6).rounded(.up)))
    }

    func maxSteps(seconds: Int64) -> Int64? {
        guard let m = config.maxRate else { return nil }
        // Clamped: a max_rate beyond any meter must not trap the conversion.
        return Int64(
            Swift.min(Double(Resolution.maxSteps), (m * Double(Swift.max(seconds, 1)) / 3600 / r.step).rounded(.up)))
    }

    /// The common case without allocation: a reading at or above the high-water mark within
    /// `max_rate`, or jitter just below it, with nothing under judgement. Returns the reading's
    /// cumulative steps and, for jitter, the mark; nil means "call `process`".
    @inline(__always)
    public mutating func advance(ts: Int64, value: Double) -> (cum: Int64, hwm: Int64?)? {
        guard pending.isEmpty, let st = state else { return nil }
        let s = r.steps(value)
        let d = s - st.hwm
        if d >= 0 {
            if config.maxRate != nil, let limit = maxSteps(seconds: ts - st.ts), d > limit + tolerance(st.hwm) {
                return nil
            }
            state = State(ts: ts, value: value, hwm: s, cum: st.cum + d)
            return (st.cum + d, nil)
        }
        guard -d <= tolerance(st.hwm) else { return nil }
        state = State(ts: ts, value: value, hwm: st.hwm, cum: st.cum)
        return (st.cum, st.hwm)
    }

    public mutating func process(ts: Int64, value: Double) -> Output {
        var out = Output()
        feed(Reading(ts: ts, value: value), into: &out)
        return out
    }

    mutating func feed(_ reading: Reading, into out: inout Output) {
        guard let st = state else {
            let s = r.steps(reading.value)
            state = State(ts: reading.ts, value: reading.value, hwm: s, cum: s)
            out.decided.append(Reading(ts: reading.ts, value: reading.value, cum: s))
            return
        }
        let s = r.steps(reading.value)
        if !pending.isEmpty {
            judgePending(with: reading, steps: s, state: st, out: &out)
            return
        }
        let d = s - st.hwm
        if d >= 0 {
            if let limit = maxSteps(seconds: reading.ts - st.ts), d > limit + tolerance(st.hwm) {
                pending = [reading]
                return
            }
            accept(reading, hwm: s, cum: st.cum + d, out: &out)
            return
        }
        if -d <= tolerance(st.hwm) {
            // Jitter: the reading counts (it is a real point on the curve) but adds nothing.
            accept(reading, hwm: st.hwm, cum: st.cum, out: &out)
            return
        }
        if let roll = config.rollover, roll > 0 {
            let wrapped = s + r.steps(roll) - st.hwm
            let limit = maxSteps(seconds: reading.ts - st.ts) ?? r.steps(roll) / 2
            if wrapped >= 0 && wrapped <= limit {
                out.events.append(
                    CounterEvent(ts: reading.ts, oldValue: st.value, newValue: reading.value, action: .rollover))
                accept(reading, hwm: s, cum: st.cum + wrapped, out: &out)
                return
            }
        }
        // A reset: the meter counts again from zero.
        if let limit = maxSteps(seconds: reading.ts - st.ts), s > limit {
            out.events.append(
                CounterEvent(ts: reading.ts, oldValue: st.value, newValue: reading.value, action: .resetIgnored))
            accept(reading, hwm: s, cum: st.cum, out: &out)
        } else {
            out.events.append(CounterEvent(ts: reading.ts, oldValue: st.value, newValue: reading.value, action: .reset))
            accept(reading, hwm: s, cum: st.cum + Swift.max(0, s), out: &out)
        }
    }

    private mutating func accept(_ reading: Reading, hwm: Int64, cum: Int64, out: inout Output) {
        state = State(ts: reading.ts, value: reading.value, hwm: hwm, cum: cum)
        out.decided.append(Reading(ts: reading.ts, value: reading.value, cum: cum))
        if hwm != r.steps(reading.value) { out.hwm[reading.ts] = hwm }
    }

    private mutating func judgePending(with reading: Reading, steps s: Int64, state st: State, out: inout Output) {
        // Back to the trend of the last good reading: the jump was a spike.
        let sinceGood = s - st.hwm
        if let limit = maxSteps(seconds: reading.ts - st.ts),
            sinceGood >= -tolerance(st.hwm), sinceGood <= limit + tolerance(st.hwm)
        {
            rejectPending(out: &out)
            feed(reading, into: &out)
            return
        }
        // Consistent with the jumped level: one more confirmation.
        let last = pending[pending.count - 1]
        let sl = r.steps(last.value)
        let step = s - sl
        if let limit = maxSteps(seconds: reading.ts - last.ts), step >= -tolerance(sl), step <= limit + tolerance(sl) {
            pending.append(reading)
            if pending.count > CounterProcessor.confirmations {
                let jump = pending[0]
                let confirmed = pending
                pending = []
                out.events.append(CounterEvent(ts: jump.ts, oldValue: st.value, newValue: jump.value, action: .rebase))
                // The new level adds zero; the readings after it count from there.
                accept(jump, hwm: r.steps(jump.value), cum: st.cum, out: &out)
                for c in confirmed.dropFirst() { feed(c, into: &out) }
            }
            return
        }
        // Neither: the jump was a spike; judge this reading afresh.
        rejectPending(out: &out)
        feed(reading, into: &out)
    }

    private mutating func rejectPending(out: inout Output) {
        guard let st = state else { return }
        for p in pending {
            out.events.append(CounterEvent(ts: p.ts, oldValue: st.value, newValue: p.value, action: .spike))
            out.decided.append(Reading(ts: p.ts, value: p.value, cum: nil))
        }
        pending = []
    }
}
