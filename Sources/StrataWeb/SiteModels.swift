import StrataCore
import StrataReport
import StrataStore

/// A meter's state on the overview: ok, stale (the last reading is old although the meter
/// was not reported failing, e.g. the sampler stopped), failing (polls fail now).
package enum MeterState: String, Sendable {
    case ok, stale, failing
    /// Never polled yet, or a device fed only by imports.
    case idle

    package var label: String {
        switch self {
        case .ok: "ok"
        case .stale: "stale"
        case .failing: "failing"
        case .idle: "no polls"
        }
    }
}

/// One channel of a device, as the API names it.
package struct ChannelInfo: Sendable {
    package var id: String
    package var name: String
    package var unit: String
    package var kind: ChannelKind
    package var decimals: Int
    package var store: Int64
}

/// One meter on the overview: its status and today's figures.
package struct MeterSummary: Sendable {
    package var id: String
    package var name: String
    package var driver: String
    package var state: MeterState
    package var status: DeviceStatus?
    /// The channel whose consumption the overview shows (the first counter), with today's
    /// and this month's consumption in its unit.
    package var counter: ChannelInfo?
    package var today: Double?
    package var month: Double?
    /// The power channel (the first gauge in W or kW) and its latest reading.
    package var power: ChannelInfo?
    package var powerNow: Double?
    package var lastReading: Int64?
    package var channels: [ChannelInfo]
}

/// The rows of one tier for some channels: buckets (or minutes) in time order.
package struct Series: Sendable {
    package var device: String
    package var tier: Tier
    package var from: Int64
    package var to: Int64
    package var channels: [ChannelInfo]
    package var starts: [Int64] = []
    package var ends: [Int64] = []
    /// `cells[row * channels.count + column]`; nil where there is no data.
    package var cells: [Aggregate?] = []

    package var count: Int { starts.count }
    package func cell(_ row: Int, _ column: Int) -> Aggregate? { cells[row * channels.count + column] }
}

/// What `/healthz` reports.
package struct Health: Sendable {
    package var storeWritable: Bool
    package var storeProblem: String?
    /// Seconds since the newest minute written (nil: nothing written yet).
    package var newestMinuteAge: Int64?
    /// Seconds since the end of the last rolled-up period.
    package var rollUpAge: Int64?
    package var samplerAlive: Bool
    /// Just started: no poll since the start, and the first one (plus one poll interval of
    /// grace) is not yet overdue. Healthy, so that a monitor never restarts a service in a loop.
    package var starting = false
    package var isHealthy: Bool { storeWritable && (samplerAlive || starting) }
    package var status: String { !isHealthy ? "failing" : samplerAlive ? "ok" : "starting" }
}

/// Figures read at scrape time for `/metrics`.
package struct StoreFigures: Sendable {
    package var usedBytes: Int64
    package var minutePoints: Int64
    package var rollUpLag: Int64?
    package var outboxPending: Int
    package var outboxFailed: Int
    package var alarmsActive: Int = 0
}
