import StrataCore
import StrataReport
import StrataStore

/// A meter's state on the overview: ok, stale (the last reading is old although the meter
/// was not reported failing, e.g. the sampler stopped), failing (polls fail now).
public enum MeterState: String, Sendable {
    case ok, stale, failing
    /// Never polled yet, or a device fed only by imports.
    case idle

    public var label: String {
        switch self {
        case .ok: "ok"
        case .stale: "stale"
        case .failing: "failing"
        case .idle: "no polls"
        }
    }
}

/// One channel of a device, as the API names it.
public struct ChannelInfo: Sendable {
    public var id: String
    public var name: String
    public var unit: String
    public var kind: ChannelKind
    public var decimals: Int
    public var store: Int64
}

/// One meter on the overview: its status and today's figures.
public struct MeterSummary: Sendable {
    public var id: String
    public var name: String
    public var driver: String
    public var state: MeterState
    public var status: DeviceStatus?
    /// The channel whose consumption the overview shows (the first counter), with today's
    /// and this month's consumption in its unit.
    public var counter: ChannelInfo?
    public var today: Double?
    public var month: Double?
    /// The power channel (the first gauge in W or kW) and its latest reading.
    public var power: ChannelInfo?
    public var powerNow: Double?
    public var lastReading: Int64?
    public var channels: [ChannelInfo]
}

/// The rows of one tier for some channels: buckets (or minutes) in time order.
public struct Series: Sendable {
    public var device: String
    public var tier: Tier
    public var from: Int64
    public var to: Int64
    public var channels: [ChannelInfo]
    public var starts: [Int64] = []
    public var ends: [Int64] = []
    /// `cells[row * channels.count + column]`; nil where there is no data.
    public var cells: [Aggregate?] = []

    public var count: Int { starts.count }
    public func cell(_ row: Int, _ column: Int) -> Aggregate? { cells[row * channels.count + column] }
}

/// What `/healthz` reports.
public struct Health: Sendable {
    public var storeWritable: Bool
    public var storeProblem: String?
    /// Seconds since the newest minute written (nil: nothing written yet).
    public var newestMinuteAge: Int64?
    /// Seconds since the end of the last rolled-up period.
    public var rollUpAge: Int64?
    public var samplerAlive: Bool
    /// Just started: no poll since the start, and the first one (plus one poll interval of
    /// grace) is not yet overdue. Healthy, so that a monitor never restarts a service in a loop.
    public var starting = false
    public var isHealthy: Bool { storeWritable && (samplerAlive || starting) }
    public var status: String { !isHealthy ? "failing" : samplerAlive ? "ok" : "starting" }
}

/// Figures read at scrape time for `/metrics`.
public struct StoreFigures: Sendable {
    public var usedBytes: Int64
    public var minutePoints: Int64
    public var rollUpLag: Int64?
    public var outboxPending: Int
    public var outboxFailed: Int
    public var alarmsActive: Int = 0
}
