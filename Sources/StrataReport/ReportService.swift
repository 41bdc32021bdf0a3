import Foundation
import Logging
import ServiceLifecycle
import StrataArchive
import StrataConfig
import StrataDatabase
import StrataCore
import StrataMail
import StrataStore

/// Generates each report when it is due, queues it in the durable outbox, and delivers the
/// outbox: by SMTP when `[smtp]` is configured, else as .eml files in the outbox folder.
public struct ReportService: Service, CustomStringConvertible {
    public var description: String { "ReportService(\(config.reports.count) reports)" }
    let config: StrataConfig
    let makeStore: @Sendable () throws -> Store
    let now: @Sendable () -> Int64
    let sleep: @Sendable (Int64) async throws -> Void
    let logger: Logger
    /// Whether an archive writer runs: reports then wait (a while) for their CSV files.
    let archive: Bool

    public init(config: StrataConfig, archive: Bool, makeStore: @escaping @Sendable () throws -> Store, now: @escaping @Sendable () -> Int64,
                sleep: @escaping @Sendable (Int64) async throws -> Void, logger: Logger) {
        self.config = config
        self.archive = archive
        self.makeStore = makeStore
        self.now = now
        self.sleep = sleep
        self.logger = logger
    }

    public func run() async throws {
        let desk: ReportDesk
        do {
            desk = try ReportDesk(config: config, makeStore: makeStore, logger: logger, archive: archive)
        } catch {
            logger.error("reports: cannot open the outbox or the store", metadata: ["error": "\(error)"])
            throw error
        }
        var first = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let t = now()
            await desk.generateDue(now: t, startingUp: first)
            first = false
            await desk.deliver(now: t)
            // Wake for the next report, the next retry, or in a minute at the latest: a clock
            // that was set meanwhile is noticed within a minute.
            let next = min(await desk.nextWake(now: t), t + 60)
            do {
                try await cancelWhenGracefulShutdown { try await sleep(max(next, t + 1)) }
            } catch {
                break
            }
        }
    }
}

/// The service's state: its own store connection and the outbox, on a thread of its own, so
/// rendering a month of data never holds a thread of the cooperative pool (the FTP server's).
actor ReportDesk {
    private nonisolated let executor = ThreadExecutor(name: "strata.reports")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let config: StrataConfig
    let store: Store
    let outbox: Outbox
    let logger: Logger
    /// The backoff of each message id, not persisted: after a restart retries start over quickly.
    var failures: [Int64: Int] = [:]
    /// When each report period first waited for the archive.
    var waitingSince: [String: Int64] = [:]
    let archive: Bool
    /// How long a due report waits for the archive to hold its period before it goes without.
    static let archiveWait: Int64 = 1800

    init(config: StrataConfig, makeStore: @Sendable () throws -> Store, logger: Logger, archive: Bool) throws {
        self.config = config
        self.archive = archive
        self.store = try makeStore()
        self.outbox = try Outbox(path: Outbox.file(in: config.outbox.path))
        self.logger = logger
    }

    func schedule(_ r: StrataConfig.Report) -> ReportSchedule {
        ReportSchedule(kind: r.schedule.periodKind, at: r.at, grace: r.grace, zone: config.site.zone)
    }

    /// Generates every report whose latest due period is not generated yet. On start-up, older
    /// missed periods are named in the log, not mailed: a long stop or a back-fill must not
    /// flood an inbox.
    func generateDue(now: Int64, startingUp: Bool) {
        for r in config.reports {
            let s = schedule(r)
            let latest = s.latestDue(at: now)
            do {
                guard try !outbox.generated(report: r.name, period: latest.label) else { continue }
                if startingUp, try outbox.generatedAny(report: r.name) {
                    var missed: [ReportPeriod] = []
                    var p = latest.previous
                    while missed.count < 400, try !outbox.generated(report: r.name, period: p.label) {
                        missed.append(p)
                        p = p.previous
                    }
                    if !missed.isEmpty {
                        logger.warning("reports: missed periods not mailed (use `strata report --period` to send one)", metadata: [
                            "report": "\(r.name)", "periods": "\(missed.reversed().map(\.label).joined(separator: ", "))",
                        ])
                        for m in missed { try outbox.skip(report: r.name, period: m.label, now: now) }
                    }
                }
                if archive, !r.attach.isEmpty {
                    // The ZIP carries the archive's files: wait (a while) until the archive has
                    // the whole period; after a long stop its catch-up comes first.
                    let key = "\(r.name) \(latest.label)"
                    let since = waitingSince[key] ?? now
                    waitingSince[key] = since
                    let state = try store.archiveState()
                    if (state?.watermark ?? Int64.min) < s.bounds(latest).end, now < since + Self.archiveWait { continue }
                    waitingSince[key] = nil
                }
                try generate(r, latest, now: now)
            } catch {
                logger.error("reports: cannot generate", metadata: ["report": "\(r.name)", "period": "\(latest.label)", "error": "\(error)"])
            }
        }
    }

    func generate(_ r: StrataConfig.Report, _ period: ReportPeriod, now: Int64) throws {
        let rendered = try ReportMailer.render(config: config, report: r, store: store, period: period, now: now)
        try outbox.enqueue(report: r.name, period: period.label, messageID: rendered.message.messageID, sender: rendered.message.from,
                           recipients: r.to, body: rendered.bytes, now: now)
        logger.notice("report queued", metadata: [
            "report": "\(r.name)", "period": "\(period.label)", "recipients": "\(r.to.count)",
            "attachment_bytes": "\(rendered.attachment?.zip.count ?? 0)",
        ])
    }

    func nextWake(now: Int64) -> Int64 {
        var next = Int64.max
        for r in config.reports {
            let s = schedule(r)
            next = min(next, s.due(s.latestDue(at: now).next))
        }
        if let n = try? outbox.nextAttempt() { next = min(next, n) }
        return next
    }

    // MARK: delivery

    func deliver(now: Int64) async {
        let due: [(Outbox.Entry, [UInt8])]
        do {
            due = try outbox.due(now: now)
        } catch {
            logger.error("outbox: cannot read", metadata: ["error": "\(error)"])
            return
        }
        guard !due.isEmpty else { return }
        if let smtp = config.smtp {
            await send(due, smtp: smtp, now: now)
        } else {
            save(due, now: now)
        }
        writeStatus()
    }

    func send(_ due: [(Outbox.Entry, [UInt8])], smtp: StrataConfig.SMTP, now: Int64) async {
        let server = smtp.server
        let envelopes = due.map { SMTPEnvelope(from: $0.0.sender, to: $0.0.recipient, message: $0.1) }
        let result = await SMTPClient.deliver(envelopes, to: server)
        if let e = result.error {
            logger.warning("smtp: session failed", metadata: ["server": "\(smtp.host):\(smtp.port)", "error": "\(e)"])
        }
        for ((entry, _), outcome) in zip(due, result.outcomes) {
            let meta: Logger.Metadata = ["report": "\(entry.report)", "period": "\(entry.period)", "to": "\(entry.recipient)", "message_id": "\(entry.messageID)"]
            do {
                switch outcome {
                case .accepted(let reply):
                    // The one window for a duplicate: the server has it, this line is not yet committed.
                    try outbox.record(id: entry.id, state: .sent, now: now, error: nil)
                    failures[entry.id] = nil
                    logger.notice("report sent", metadata: meta.merging(["reply": "\(reply)"]) { a, _ in a })
                case .permanent(let why):
                    try outbox.record(id: entry.id, state: .failed, now: now, error: why)
                    logger.error("report REFUSED by the mail server; not retried", metadata: meta.merging(["error": "\(why)"]) { a, _ in a })
                case .temporary(let why):
                    if now - entry.created >= smtp.retryFor {
                        try outbox.record(id: entry.id, state: .failed, now: now, error: why)
                        logger.error("report GIVEN UP after retrying for \(smtp.retryFor / 3600) h", metadata: meta.merging(["error": "\(why)"]) { a, _ in a })
                    } else {
                        let n = (failures[entry.id] ?? 0) + 1
                        failures[entry.id] = n
                        let wait = min(smtp.retryInterval << Int64(min(n - 1, 20)), 3600)
                        try outbox.record(id: entry.id, state: .pending, now: now, nextAttempt: now + wait, error: why)
                        logger.warning("report not sent; will retry", metadata: meta.merging(["error": "\(why)", "retry_in_s": "\(wait)"]) { a, _ in a })
                    }
                }
            } catch {
                logger.error("outbox: cannot record a delivery", metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
            }
        }
    }

    /// Without a mail server each message becomes an .eml file a mail program opens.
    func save(_ due: [(Outbox.Entry, [UInt8])], now: Int64) {
        for (entry, body) in due {
            let name = "\(ReportAttachment.slug(entry.report))-\(entry.period)-\(ReportAttachment.slug(entry.recipient)).eml"
            let path = (config.outbox.path as NSString).appendingPathComponent(name)
            do {
                try AtomicFile.write(path, body)
                try outbox.record(id: entry.id, state: .saved, now: now, error: nil)
                logger.notice("report saved (no [smtp] configured)", metadata: ["report": "\(entry.report)", "period": "\(entry.period)", "file": "\(path)"])
            } catch {
                logger.error("outbox: cannot save", metadata: ["file": "\(path)", "error": "\(error)"])
            }
        }
    }

    /// `outbox/status.csv` in the archive: every delivery's state, readable over FTP.
    func writeStatus() {
        do {
            let path = (config.archive.path as NSString).appendingPathComponent("outbox/status.csv")
            try AtomicFile.write(path, OutboxStatus.csv(try outbox.entries(), zone: config.site.zone))
        } catch {
            logger.warning("outbox: cannot write status.csv", metadata: ["error": "\(error)"])
        }
    }
}

extension StrataConfig.SMTP {
    /// The mail server as the SMTP client takes it: one mapping for the service and `strata report --send`.
    public var server: SMTPServer {
        SMTPServer(
            host: host, port: port, security: SMTPSecurity(rawValue: security.rawValue) ?? .starttls,
            credentials: username.map { SMTPCredentials(username: $0, password: password ?? "") }, caFile: caFile,
            timeout: Int(timeout), clientName: ProcessInfo.processInfo.hostName)
    }
}

/// The outbox as CSV (ISO dialect: a status file is read by scripts as often as by people).
public enum OutboxStatus {
    public static func csv(_ entries: [Outbox.Entry], zone: ZoneRules) -> [UInt8] {
        var w = CSVWriter(dialect: .iso)
        for h in ["created", "report", "period", "recipient", "message_id", "state", "attempts", "last_attempt", "done", "last_error"] { w.field(h) }
        w.endRow()
        func t(_ v: Int64?) {
            if let v { w.dateTime(zone.local(v)) } else { w.empty() }
        }
        for e in entries {
            t(e.created)
            w.field(e.report)
            w.field(e.period)
            w.field(e.recipient)
            w.field(e.messageID)
            w.field(e.state.rawValue)
            w.number(steps: Int64(e.attempts), decimals: 0)
            t(e.lastAttempt)
            t(e.done)
            w.field(e.lastError ?? "")
            w.endRow()
        }
        return w.bytes
    }
}
