import Logging
import ServiceLifecycle
import StrataCore

/// How the services that talk to the central PostgreSQL report trouble: one log line when a
/// kind of failure starts (not one per retry) and one when it is over, so a server down for a
/// week is two lines, not ten thousand.
struct CentralServerFailures {
    let logger: Logger
    /// "replication failed; …", "fleet archive refresh failed; …": what stopped working.
    let what: String
    let url: String
    let retry: Int64
    private(set) var failing: String?

    init(logger: Logger, what: String, url: String, retry: Int64) {
        self.logger = logger
        self.what = what
        self.url = url
        self.retry = retry
    }

    /// Records a failure; logged when its message differs from the last one's.
    mutating func failed(_ error: any Error) {
        let msg = "\(error)"
        if failing != msg {
            logger.error("\(what)", metadata: ["error": "\(msg)", "url": "\(url)", "retry": "every \(retry) s"])
        }
        failing = msg
    }

    mutating func succeeded() {
        guard let f = failing else { return }
        logger.notice("central server reachable again", metadata: ["was": "\(f)", "url": "\(url)"])
        failing = nil
    }

    /// Sleeps until the next round; false when the process is shutting down.
    static func wait(_ clock: any WallClock, seconds: Int64) async -> Bool {
        let next = clock.now() + Double(seconds)
        do {
            try await cancelWhenGracefulShutdown { try await clock.sleep(until: next) }
            return true
        } catch {
            return false
        }
    }
}
