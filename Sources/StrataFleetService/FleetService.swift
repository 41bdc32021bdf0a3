import Foundation
import Logging
import Metrics
import ServiceLifecycle
import StrataConfig
import StrataCore
import StrataFleetLink

/// `[fleet]` in `strata run`: keeps the fleet archive tree at `[archive] path`, the whole tree
/// when it starts and then, every `interval`, the files whose months the sites' pushes changed.
/// A central server that is down leaves the tree as it was: a log line when refreshes start
/// failing and one when they work again.
public struct FleetService: Service, CustomStringConvertible {
    public var description: String { "FleetService(\(settings.fleet.url))" }
    let settings: Settings
    let store: any FleetRefreshLog
    let clock: any WallClock
    let logger: Logger

    public init(settings: Settings, store: any FleetRefreshLog, clock: any WallClock, logger: Logger) {
        self.settings = settings
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let f = settings.fleet
        let target: FleetTarget
        do {
            target = try FleetTarget(url: f.url, password: try f.password(), caFile: f.caFile)
        } catch {
            logger.error("the fleet archive cannot start", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        var tree = FleetTree(root: settings.archivePath, dialects: settings.dialects)
        let refreshedGauge = Gauge(label: "strata_fleet_archive_refreshed_timestamp_seconds")
        var failures = CentralServerFailures(
            logger: logger, what: "fleet archive refresh failed; the tree stays as it was and is retried",
            url: target.display, retry: f.interval)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var link: FleetLink?
            do {
                let l = try await FleetLink.connect(target, logger: Logger(label: "strata.fleet.pg"))
                link = l
                let first = tree.horizon == nil
                let current = tree
                let n = try await cancelWhenGracefulShutdown { try await current.refreshed(l) }
                tree = n.tree
                if first || n.files > 0 {
                    logger.info(
                        "fleet archive refreshed", metadata: ["files": "\(n.files)", "path": "\(settings.archivePath)"])
                }
                let now = clock.now()
                await store.fleetRefreshed(now: Int64(now), files: n.files)
                // A timestamp, as Prometheus has it: alert on time() minus this.
                refreshedGauge.record(now)
                failures.succeeded()
            } catch {
                if Task.isShuttingDownGracefully { break }
                failures.failed(error)
                await store.fleetFailed("\(error)", now: Int64(clock.now()))
            }
            await link?.close()
            guard await CentralServerFailures.wait(clock, seconds: f.interval) else { break }
        }
    }
}

extension FleetTree {
    /// `refresh` on a copy, for a closure that cannot capture the caller's variable.
    func refreshed(_ link: FleetLink) async throws -> (tree: FleetTree, files: Int) {
        var t = self
        let n = try await t.refresh(link)
        return (t, n)
    }
}
