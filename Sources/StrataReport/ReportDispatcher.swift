import Foundation
import Logging
import Metrics
import StrataArchive
import StrataConfig
import StrataCore
import StrataDatabase
import StrataMail
import StrataStore

/// The service's state: its own store connection and the outbox, on a thread of its own, so
/// rendering a month of data never holds a thread of the cooperative pool (the FTP server's).
actor ReportDispatcher {
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
    /// Delivery attempts failed since the last success (starting with the messages the outbox
    /// holds for retry): what a system alarm on the outbox watches.
    private(set) var failingDeliveries = 0
    /// How long a due report waits for the archive to hold its period before it goes without.
    static let archiveWait: Int64 = 1800

    init(config: StrataConfig, makeStore: @Sendable () throws -> Store, logger: Logger, archive: Bool) throws {
        self.config = config
        self.archive = archive
        self.store = try makeStore()
        self.outbox = try Outbox(path: Outbox.file(in: config.outbox.path))
        self.logger = logger
        failingDeliveries = try outbox.entries().filter { $0.state == .pending && $0.lastError != nil }.count
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
                        logger.warning(
                            "reports: missed periods not mailed (use `strata report --period` to send one)",
                            metadata: [
                                "report": "\(r.name)",
                                "periods": "\(missed.reversed().map(\.label).joined(separator: ", "))",
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
                    if (state?.watermark ?? Int64.min) < s.bounds(latest).end, now < since + Self.archiveWait {
                        continue
                    }
                    waitingSince[key] = nil
                }
                try generate(r, latest, now: now)
            } catch {
                logger.error(
                    "reports: cannot generate",
                    metadata: ["report": "\(r.name)", "period": "\(latest.label)", "error": "\(error)"])
            }
        }
    }

    func generate(_ r: StrataConfig.Report, _ period: ReportPeriod, now: Int64) throws {
        let rendered = try ReportComposer.render(config: config, report: r, store: store, period: period, now: now)
        try outbox.enqueue(
            report: r.name, period: period.label, messageID: rendered.message.messageID, sender: rendered.message.from,
            recipients: r.to, body: rendered.bytes, now: now)
        logger.notice(
            "report queued",
            metadata: [
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
        let policy = DeliveryPolicy(retryInterval: smtp.retryInterval, retryFor: smtp.retryFor)
        for ((entry, _), outcome) in zip(due, result.outcomes) {
            let meta: Logger.Metadata = [
                "report": "\(entry.report)", "period": "\(entry.period)", "to": "\(entry.recipient)",
                "message_id": "\(entry.messageID)",
            ]
            do {
                switch policy.action(for: outcome, created: entry.created, failures: failures[entry.id] ?? 0, now: now)
                {
                case .sent(let reply):
                    // The one window for a duplicate: the server has it, this line is not yet committed.
                    try outbox.record(id: entry.id, state: .sent, now: now, error: nil)
                    failures[entry.id] = nil
                    failingDeliveries = 0
                    logger.notice("report sent", metadata: meta.merging(["reply": "\(reply)"]) { a, _ in a })
                case .refused(let why):
                    failingDeliveries += 1
                    Counter(label: "strata_outbox_send_failures_total").increment()
                    try outbox.record(id: entry.id, state: .failed, now: now, error: why)
                    logger.error(
                        "report REFUSED by the mail server; not retried",
                        metadata: meta.merging(["error": "\(why)"]) { a, _ in a })
                case .givenUp(let why):
                    failingDeliveries += 1
                    Counter(label: "strata_outbox_send_failures_total").increment()
                    try outbox.record(id: entry.id, state: .failed, now: now, error: why)
                    logger.error(
                        "report GIVEN UP after retrying for \(smtp.retryFor / 3600) h",
                        metadata: meta.merging(["error": "\(why)"]) { a, _ in a })
                case .retry(let at, let wait, let n, let why):
                    failures[entry.id] = n
                    failingDeliveries += 1
                    Counter(label: "strata_outbox_send_failures_total").increment()
                    try outbox.record(id: entry.id, state: .pending, now: now, nextAttempt: at, error: why)
                    logger.warning(
                        "report not sent; will retry",
                        metadata: meta.merging(["error": "\(why)", "retry_in_s": "\(wait)"]) { a, _ in a })
                }
            } catch {
                logger.error(
                    "outbox: cannot record a delivery", metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
            }
        }
    }

    /// Without a mail server each message becomes an .eml file a mail program opens.
    func save(_ due: [(Outbox.Entry, [UInt8])], now: Int64) {
        for (entry, body) in due {
            let name =
                "\(ReportAttachment.slug(entry.report))-\(entry.period)-\(ReportAttachment.slug(entry.recipient)).eml"
            let path = (config.outbox.path as NSString).appendingPathComponent(name)
            do {
                try AtomicFile.write(path, body)
                try outbox.record(id: entry.id, state: .saved, now: now, error: nil)
                failingDeliveries = 0
                logger.notice(
                    "report saved (no [smtp] configured)",
                    metadata: ["report": "\(entry.report)", "period": "\(entry.period)", "file": "\(path)"])
            } catch {
                failingDeliveries += 1
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
