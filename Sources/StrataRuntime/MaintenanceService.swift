import Foundation
import Logging
import Metrics
import ServiceLifecycle
import StrataArchive
import StrataCore

/// Roll-up, retention and the archive, a little after each minute's round.
public struct MaintenanceService: Service, CustomStringConvertible {
    public var description: String { "MaintenanceService(archive: \(archivist != nil))" }
    let store: StoreActor
    let archivist: Archivist?
    let clock: any WallClock
    let logger: Logger
    /// Seconds after the minute: the sampler's round is written by then.
    let delay: Double

    public init(store: StoreActor, archivist: Archivist?, clock: any WallClock, logger: Logger, delay: Double = 10) {
        self.store = store
        self.archivist = archivist
        self.clock = clock
        self.logger = logger
        self.delay = delay
    }

    public func run() async throws {
        let (store, archivist, clock, logger, delay) = (self.store, self.archivist, self.clock, self.logger, self.delay)
        var failing = false
        var first = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The first pass runs at once: after a back-fill or a long stop there is catching up to do.
            if !first {
                let now = clock.now()
                let next = (now / 60).rounded(.down) * 60 + 60 + delay
                do {
                    try await cancelWhenGracefulShutdown { try await clock.sleep(until: next) }
                } catch {
                    break
                }
                if Task.isShuttingDownGracefully { break }
            }
            let now = Int64(clock.now())
            do {
                let started = ContinuousClock.now
                let r = try await store.maintain(now: now)
                var a: ArchiveWriter.Summary?
                if let archivist {
                    do {
                        a = try await archivist.refresh()
                        await store.archiveWritten(true, now: now)
                    } catch {
                        await store.archiveWritten(false, now: now)
                        throw error
                    }
                } else {
                    await store.archiveWritten(true, now: now)
                }
                if let a, a.touched > 0 {
                    Counter(label: "strata_archive_files_written_total").increment(by: a.touched)
                }
                if first, let a {
                    logger.notice(
                        "archive up to date",
                        metadata: [
                            "created": "\(a.created)", "appended": "\(a.appended)", "replaced": "\(a.replaced)",
                            "seconds": "\((ContinuousClock.now - started).components.seconds)",
                        ])
                }
                first = false
                if failing { logger.notice("maintenance works again") }
                failing = false
                logger.debug(
                    "maintenance",
                    metadata: [
                        "buckets": "\(r.bucketsWritten)", "archive_files": "\(a?.touched ?? 0)",
                    ])
            } catch {
                if !failing {
                    logger.error("roll-up or archive failed; retrying every minute", metadata: ["error": "\(error)"])
                }
                failing = true
            }
        }
        // A last checkpoint keeps the WAL small for whoever opens the store next.
        try? await store.checkpoint()
    }
}
