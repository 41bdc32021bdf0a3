import Foundation
import Logging
import Metrics
import ServiceLifecycle
import StrataConfig
import StrataCore
import StrataFleetLink
import StrataStore

/// Pushes the site's closed buckets to the central PostgreSQL (`[replication]`): every
/// `interval` while caught up, batch after batch while catching up. The site never waits for
/// the server: the reader has its own store connection and thread, and a server that is down
/// costs only lag (a log line when it fails and one when it works again; `strata status` and
/// `strata_replication_lag_seconds` show how far behind it is).
public struct ReplicationService: Service, CustomStringConvertible {
    public var description: String { "ReplicationService(\(settings.replication.url))" }
    let settings: Settings
    let clock: any WallClock
    let logger: Logger
    /// Opens the reader's own (read-only) connection to the store.
    let makeStore: @Sendable () throws -> Store
    /// The store's writer: what replication records goes through it.
    let ledger: any ReplicationLedger

    public init(
        settings: Settings, makeStore: @escaping @Sendable () throws -> Store, ledger: any ReplicationLedger,
        clock: any WallClock, logger: Logger
    ) {
        self.ledger = ledger
        self.settings = settings
        self.makeStore = makeStore
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let r = settings.replication
        let logger = self.logger
        let reader: ReplicationReader
        let target: FleetTarget
        do {
            try await ledger.enableReplication()
            let configured = r.siteID ?? ""
            let id = configured.isEmpty ? try await ledger.replicationSiteID() : configured
            reader = ReplicationReader(settings: settings, store: try makeStore(), siteID: id)
            target = try FleetTarget(url: r.url, password: try r.password(), caFile: r.caFile)
        } catch {
            // A broken [replication] must not stop the site: say so and wait for shutdown.
            logger.error("replication cannot start", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        let lagGauge = Gauge(label: "strata_replication_lag_seconds")
        var link: FleetLink?
        var failures = CentralServerFailures(
            logger: logger, what: "replication failed; the site keeps its data and retries",
            url: target.display, retry: r.interval)
        var pushed = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if link == nil {
                    link = try await FleetLink.connect(target, logger: Logger(label: "strata.replication.pg"))
                }
                guard let l = link else { continue }
                let site = try await reader.siteInfo()
                var batch = try await reader.next()
                while let b = batch, !Task.isShuttingDownGracefully {
                    // A catch-up reads and encodes the next batch while the server takes this one.
                    async let following = b.more ? reader.next(after: b) : nil
                    // Ended by a shutdown too: the site must stop in seconds even with the server hung.
                    try await cancelWhenGracefulShutdown {
                        try await l.push(site, payload: b.payload, events: b.events, timeout: .seconds(r.timeout))
                    }
                    try await ledger.commitReplication(
                        cursors: b.cursors, consumedDirty: b.consumedDirty, at: Int64(clock.now()))
                    pushed += b.payload.rows
                    logger.debug("replicated", metadata: ["buckets": "\(b.payload.rows)", "more": "\(b.more)"])
                    failures.succeeded()
                    if b.more, let lag = try? await reader.lag() { lagGauge.record(Double(lag)) }
                    batch = try await following
                }
                failures.succeeded()
            } catch {
                if Task.isShuttingDownGracefully { break }
                failures.failed(error)
                await ledger.replicationFailed("\(error)", at: Int64(clock.now()))
                await link?.close()
                link = nil
            }
            if let lag = try? await reader.lag() { lagGauge.record(Double(lag)) }
            guard await CentralServerFailures.wait(clock, seconds: r.interval) else { break }
        }
        await link?.close()
        if pushed > 0 { logger.info("replication stopped", metadata: ["buckets": "\(pushed)"]) }
    }
}
