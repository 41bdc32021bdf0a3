import StrataCore

/// One `[[alarms]]` rule, checked: what to watch, when it is raised and cleared, who hears it.
public struct AlarmRule: Sendable, Equatable {
    public enum Severity: String, Sendable, CaseIterable { case info, warning, critical }

    /// Local hours of a day, `[from, to)` in minutes after midnight; `to` below `from` runs
    /// past midnight (`22:00-06:00`).
    public struct Window: Sendable, Equatable {
        public var from: Int
        public var to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }

        /// Whether a minute of the day (0…1439) is inside.
        public func contains(minuteOfDay m: Int) -> Bool {
            from <= to ? (m >= from && m < to) : (m >= from || m < to)
        }
    }

    public enum Kind: Sendable, Equatable {
        /// No reading from the device for `seconds`.
        case offline(seconds: Int64)
        /// A gauge beyond a limit for `seconds` of minutes with readings; cleared only past `clear`.
        case threshold(channel: String, limit: Limit, clear: Double, seconds: Int64)
        /// A counter's consumption over a daily local window (or over any `per` span inside it).
        case consumption(channel: String, window: Window, above: Double, per: Int64?)
        /// A reset, rollover or spike of a counter (`channel` nil: any of the device's, or of
        /// any device when the rule has no device).
        case counterEvent(channel: String?, actions: Set<CounterAction>)
        /// Strata's own trouble (`checks`: which; storage over `above` percent of the budget,
        /// cleared under `clear`) for at least `seconds`.
        case system(checks: Set<SystemCheck>, above: Double, clear: Double, seconds: Int64)
    }

    public enum Limit: Sendable, Equatable {
        case above(Double)
        case below(Double)

        public var value: Double {
            switch self {
            case .above(let v), .below(let v): v
            }
        }

        /// Beyond the limit: what raises.
        public func breached(by v: Double) -> Bool {
            switch self {
            case .above(let l): v > l
            case .below(let l): v < l
            }
        }

        /// Back past the clear value: what clears (hysteresis).
        public func cleared(by v: Double, clear: Double) -> Bool {
            switch self {
            case .above: v < clear
            case .below: v > clear
            }
        }
    }

    public var id: String
    public var kind: Kind
    /// nil only for counter-event rules over every device.
    public var device: String?
    public var notify: [String]
    public var severity: Severity
    /// Re-notify while active, every so many seconds; nil: once.
    public var repeatEvery: Int64?
    /// Local hours in which info and warning notices wait (critical ones never wait).
    public var quiet: Window?

    public var isSystem: Bool {
        if case .system = kind { return true }
        return false
    }

    public init(
        id: String, kind: Kind, device: String?, notify: [String], severity: Severity = .warning,
        repeatEvery: Int64? = nil, quiet: Window? = nil
    ) {
        self.id = id
        self.kind = kind
        self.device = device
        self.notify = notify
        self.severity = severity
        self.repeatEvery = repeatEvery
        self.quiet = quiet
    }
}
