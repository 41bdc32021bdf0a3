import StrataCore
import StrataSampler
import StrataStore

/// The demo's first start: simulated history up to the last whole minute, then a roll-up, so
/// a new user sees days, months and an archive at once instead of an empty store.
public struct DemoHistory: Sendable {
    /// The minutes (UTC, inclusive) still to fill; empty when the store is already up to date.
    public let from: Int64
    public let to: Int64
    public var isEmpty: Bool { from > to }
    /// Seconds of history to fill.
    public var span: Int64 { to - from + 60 }

    /// `days` before `now`, continuing after what an earlier demo run stored.
    public init(store: StoreActor, days: Int, now: Int64) async throws(StoreError) {
        to = now - floorMod(now, 60) - 60
        let newest = try await store.newestMinute()
        from = max(to - Int64(days) * 86_400, (newest ?? Int64.min) + 60)
    }

    /// Writes the simulated readings, one transaction per day: how many, and how many alarm
    /// notices they raised (recorded in the alarm log, not logged one by one).
    public func fill(_ runtime: Runtime) async throws -> (readings: Int, alarms: Int) {
        await runtime.store.quietAlarms()
        do {
            let n = try await DemoSite.backfill(config: runtime.config, store: runtime.store, from: from, to: to)
            return (n, await runtime.store.logAlarms())
        } catch {
            await runtime.store.logAlarms()
            throw error
        }
    }

    /// Rolls the filled minutes up into every tier.
    public func rollUp(_ runtime: Runtime, now: Int64) async throws(StoreError) {
        try await runtime.store.rollUp(now: now)
    }
}
