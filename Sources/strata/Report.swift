import ArgumentParser
import Foundation
import StrataArchive
import StrataConfig
import StrataCore
import StrataMail
import StrataReport
import StrataRuntime
import StrataSampler
import StrataStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render a configured report for a period to an .eml file (and its ZIP), or send it now.",
        discussion: """
            Periods: 2026-10-21 (daily), 2026-W43 (weekly, ISO week), 2026-10 (monthly). Without --period, the latest \
            period that is due now. --send mails it through [smtp] at once (a copy with its own Message-ID), \
            independent of the outbox of a running `strata run`.
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "The report's name in the config.") var report: String
    @Option(help: "The period: 2026-10-21, 2026-W43 or 2026-10.") var period: String?
    @Option(help: "Write <report>-<period>.eml and the ZIP into this folder.") var out: String?
    @Flag(help: "Send it now through [smtp].") var send = false
    @Option(help: "Send to this address instead of the report's recipients (repeatable).") var to: [String] = []
    @Option(help: "With --send: how long temporary refusals (4xx, a 421 greeting, no connection) are retried.")
    var retryFor: String = "1 min"

    func run() async throws {
        bootstrapLogging(defaultLevel: .warning)
        let cfg = try options.load()
        guard var r = cfg.reports.first(where: { $0.name == report }) else {
            printError(
                "error: no report \"\(report)\" in \(cfg.file); configured: \(cfg.reports.map(\.name).joined(separator: ", "))"
            )
            throw ExitCode(2)
        }
        guard (out != nil) != send else {
            printError("error: give either --out DIR or --send")
            throw ExitCode(2)
        }
        if !to.isEmpty { r.to = to }
        let now = Int64(Date().timeIntervalSince1970)
        let schedule = ReportSchedule(kind: r.schedule.periodKind, at: r.at, grace: r.grace, zone: cfg.site.zone)
        let p: ReportPeriod
        if let text = period {
            guard let parsed = ReportPeriod.parse(text) else {
                printError("error: --period \(text): expected 2026-10-21, 2026-W43 or 2026-10")
                throw ExitCode(2)
            }
            guard parsed.kind == r.schedule.periodKind else {
                printError(
                    "error: report \"\(r.name)\" is \(r.schedule.rawValue); --period \(text) is a \(parsed.kind.rawValue)"
                )
                throw ExitCode(2)
            }
            p = parsed
        } else {
            p = schedule.latestDue(at: now)
        }
        let store = try cfg.openStore()
        var rendered = try storeCall {
            try ReportComposer.render(config: cfg, report: r, store: store, period: p, now: now)
        }
        if let out {
            let dir = (out as NSString).expandingTildeInPath
            let eml = (dir as NSString).appendingPathComponent("\(ReportAttachment.slug(r.name))-\(p.label).eml")
            try storeCall {
                try AtomicFile.write(eml, rendered.bytes)
                if let a = rendered.attachment {
                    try AtomicFile.write((dir as NSString).appendingPathComponent(a.filename), a.zip)
                }
            }
            print("wrote \(eml)")
            if let a = rendered.attachment {
                print(
                    "wrote \((dir as NSString).appendingPathComponent(a.filename)) (\(a.included.count) CSV files\(a.leftOut.isEmpty ? "" : ", \(a.leftOut.count) left out by max_attachment"))"
                )
            }
            return
        }
        guard let smtp = cfg.smtp else {
            printError("error: --send needs an [smtp] section in \(cfg.file)")
            throw ExitCode(2)
        }
        // A deliberate re-send is a new message: Gmail drops a second message with a Message-ID it already has.
        rendered.message.messageID = rendered.message.messageID.replacingOccurrences(of: "@", with: ".sent-\(now)@")
        guard let window = try? Span(parsing: retryFor), let windowSeconds = window.seconds, windowSeconds <= 86_400
        else {
            printError(
                "error: --retry-for \"\(retryFor)\": expected a duration up to a day, like \"1 min\" or \"30 s\"")
            throw ExitCode(2)
        }
        let server = smtp.server
        let body = rendered.bytes
        // RFC 5321 4.2.1: a 4xx is transient; it is tried again, with a doubling pause, until
        // --retry-for has passed. A 5xx is final at once.
        var policy = SendRetry(window: Double(windowSeconds))
        var pending = r.to
        var failed = false
        let started = Date()
        while !pending.isEmpty {
            let result = await SMTPClient.deliver(
                pending.map { SMTPEnvelope(from: smtp.from, to: $0, message: body) }, to: server)
            var again: [(String, String)] = []
            for (rcpt, o) in zip(pending, result.outcomes) {
                switch o {
                case .accepted(let reply): print("sent to \(rcpt): \(reply)")
                case .permanent(let why):
                    failed = true
                    printError("NOT sent to \(rcpt): \(why) (a permanent refusal: not retried)")
                case .temporary(let why): again.append((rcpt, why))
                }
            }
            guard !again.isEmpty else { break }
            guard let pause = policy.next(elapsed: Date().timeIntervalSince(started)) else {
                failed = true
                for (rcpt, why) in again {
                    printError(
                        "NOT sent to \(rcpt) after \(policy.attempts) attempt\(policy.attempts == 1 ? "" : "s") in \(Int(Date().timeIntervalSince(started))) s: \(why) "
                            + "(temporary; `strata run` keeps trying for smtp.retry_for, this command for --retry-for)")
                }
                break
            }
            printError(
                "temporary refusal: \(again[0].1); retrying \(again.count) recipient\(again.count == 1 ? "" : "s") in \(Int(pause)) s"
            )
            try? await Task.sleep(for: .seconds(pause))
            pending = again.map(\.0)
        }
        if failed { throw ExitCode(1) }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List queued, sent and failed report e-mails with their last error.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Only this state: pending, sent, failed, saved.") var state: String?

    func run() async throws {
        let cfg = try options.load()
        let path = Outbox.file(in: cfg.outbox.path)
        guard FileManager.default.fileExists(atPath: path) else {
            print("the outbox \(path) is empty: no report was generated yet")
            return
        }
        let outbox = try storeCall { try Outbox(path: path) }
        var entries = try storeCall { try outbox.entries() }
        if let s = state {
            guard let st = Outbox.State(rawValue: s) else {
                printError(
                    "error: --state \(s): expected one of \(Outbox.State.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                throw ExitCode(2)
            }
            entries = entries.filter { $0.state == st }
        }
        let zone = cfg.site.zone
        func local(_ t: Int64?) -> String {
            guard let t else { return "-" }
            let l = zone.local(t)
            return l.description
        }
        print(
            "outbox \(path): \(entries.count) messages\(cfg.smtp == nil ? " (no [smtp]: messages are saved to \(cfg.outbox.path))" : "")"
        )
        for e in entries {
            print(
                "\(e.state.rawValue.padding(8)) \(e.report) \(e.period) → \(e.recipient)  created \(local(e.created)), attempts \(e.attempts)"
                    + (e.done.map { ", done \(local($0))" }
                        ?? (e.state == .pending ? ", next \(local(e.nextAttempt))" : "")))
            if let err = e.lastError, e.state != .sent && e.state != .saved { print("         last error: \(err)") }
        }
    }
}
