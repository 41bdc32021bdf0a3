import Foundation
import Logging
import ServiceLifecycle
import StrataArchive
import StrataConfig
import StrataCore
import StrataDatabase
import StrataMail
import StrataStore

/// What the report service records in the store, through its one writer (`StoreActor`):
/// the alarm log lines it queued, and how many deliveries are failing (system alarm rules
/// watch that).
public protocol ReportLedger: Sendable {
    func markAlarmsQueued(_ ids: [Int64]) async throws
    func outboxFailing(_ count: Int, now: Int64) async
}

/// Generates each report when it is due, queues it in the durable outbox, and delivers the
/// outbox: by SMTP when `[smtp]` is configured, else as .eml files in the outbox folder.
public struct ReportService: Service, CustomStringConvertible {
    public var description: String { "ReportService(\(config.reports.count) reports)" }
    let config: StrataConfig
    let makeStore: @Sendable () throws -> Store
    let clock: any WallClock
    let logger: Logger
    /// Whether an archive writer runs: reports then wait (a while) for their CSV files.
    let archive: Bool
    /// The store's writer: what the service records goes through it.
    let ledger: any ReportLedger

    public init(
        config: StrataConfig, archive: Bool, makeStore: @escaping @Sendable () throws -> Store,
        clock: any WallClock, logger: Logger,
        ledger: any ReportLedger
    ) {
        self.ledger = ledger
        self.config = config
        self.archive = archive
        self.makeStore = makeStore
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let desk: ReportDispatcher
        do {
            desk = try ReportDispatcher(config: config, makeStore: makeStore, logger: logger, archive: archive)
        } catch {
            logger.error("reports: cannot open the outbox or the store", metadata: ["error": "\(error)"])
            throw error
        }
        var first = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let t = clock.seconds
            await desk.generateDue(now: t, startingUp: first)
            first = false
            let queued = await desk.intakeAlarms(now: t)
            if !queued.isEmpty {
                do { try await ledger.markAlarmsQueued(queued) } catch {
                    // They are queued again next pass; the outbox's key keeps each message single.
                    logger.error("alarms: cannot mark notices queued", metadata: ["error": "\(error)"])
                }
            }
            await desk.deliver(now: t)
            await ledger.outboxFailing(await desk.failingDeliveries, now: t)
            // Wake for the next report, the next retry, or in a minute at the latest: a clock
            // that was set meanwhile is noticed within a minute.
            let next = min(await desk.nextWake(now: t), t + 60)
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(until: Double(max(next, t + 1))) }
            } catch {
                break
            }
        }
    }
}
