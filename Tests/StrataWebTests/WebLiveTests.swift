import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataWeb

/// The real server on a loopback port, with curl as the client and raw sockets as the hostile
/// ones: the loopback rules, and clients that are slow, greedy or oversized.
@Suite(.serialized) struct WebLiveTests {
    /// Runs the server of `web` (settings as given) while `body` runs, then shuts it down.
    static func serve(_ configure: (inout WebSettings) -> Void = { _ in }, _ body: @Sendable (Int) async throws -> Void)
        async throws
    {
        let site = try WebRouterTests.shared.get()
        var settings = try site.app().settings
        settings.port = Net.freePort()
        configure(&settings)
        let web = WebApp(
            reader: try SiteReader(config: site.config), settings: settings, metrics: StrataMetrics(),
            clock: ManualClock(Double(WebSite.now)))
        var logger = Logger(label: "test.web")
        logger.logLevel = .error
        let app = try web.application(logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait for the port to answer.
            for _ in 0..<100 {
                if let s = RawClient(port: settings.port) {
                    s.close()
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            do {
                try await body(settings.port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Runs blocking work (curl, raw sockets) on a thread of its own: on the cooperative pool it
    /// could hold the threads the server needs to answer it (two, on a 2-core machine). The
    /// expectations stay in the test's task, where Swift Testing can attribute them.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in Thread { c.resume(with: Result { try work() }) }.start() }
    }

    /// `curl` as a user runs it: status code and body.
    static func curl(_ args: [String]) async throws -> (status: Int, body: String) {
        try await offPool { try blockingCurl(args) }
    }

    static func blockingCurl(_ args: [String]) throws -> (status: Int, body: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-S", "--max-time", "20", "-w", "\n%{http_code}"] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test func basicAuthAndMetricsOnLoopback() async throws {
        try await Self.serve { port in
            let base = "http://127.0.0.1:\(port)"
            let devices = try await Self.curl(["-u", "alice:alice-pw", base + "/api/v1/devices"])
            #expect(devices.status == 200)
            #expect(devices.body.contains("\"id\":\"water\""))
            #expect(try await Self.curl(["-u", "alice:wrong", base + "/api/v1/devices"]).status == 401)
            let metrics = try await Self.curl([base + "/metrics"])
            #expect(metrics.status == 200, "no login from this machine")
            #expect(metrics.body.contains("# TYPE strata_store_bytes gauge"))
            #expect(try await Self.curl([base + "/api/v1/devices"]).status == 401, "but the API needs one")
        }
    }

    @Test func httpsWithTheCertificateFilesAndSecureCookies() async throws {
        let dir = TempDir()
        let (cert, key) = try SMTPPeer.certificate(in: dir.path)
        let tls = try WebSettings.tls(certificate: cert, key: key)
        try await Self.serve({ $0.tls = tls }) { port in
            let base = "https://127.0.0.1:\(port)"
            let devices = try await Self.curl(["--cacert", cert, "-u", "alice:alice-pw", base + "/api/v1/devices"])
            #expect(devices.status == 200)
            #expect(devices.body.contains("\"id\":\"main\""))
            let login = try await Self.curl([
                "--cacert", cert, "-i", "-d", "user=alice&password=alice-pw", base + "/login",
            ])
            #expect(
                login.body.lowercased().contains("set-cookie: strata_session=") && login.body.contains("Secure"),
                "\(login.body.prefix(400))")
            #expect(
                try await Self.curl(["http://127.0.0.1:\(port)/healthz"]).status != 200,
                "no plain HTTP on the HTTPS port")
        }
    }

    @Test func slowAndIdleClientsAreClosedAndOthersServed() async throws {
        try await Self.serve({ $0.setTimeouts(head: 1, request: 5) }) { port in
            // Slowloris: a request head one byte at a time, never finished.
            let (closed, elapsed) = try await Self.offPool { () -> (Bool, Double) in
                guard let slow = RawClient(port: port) else { return (false, 0) }
                defer { slow.close() }
                slow.send("GET / HTTP/1.1\r\nHost: x\r\n")
                let started = Date()
                while Date().timeIntervalSince(started) < 6 {
                    if !slow.send("X") || slow.isClosed(wait: 0.3) { return (true, Date().timeIntervalSince(started)) }
                }
                return (false, 6)
            }
            #expect(closed, "a head that never ends is cut off")
            #expect(elapsed < 4)
            // An idle connection that never sends anything is closed too.
            let idleClosed = try await Self.offPool { () -> Bool in
                guard let idle = RawClient(port: port) else { return false }
                defer { idle.close() }
                return idle.isClosed(wait: 3)
            }
            #expect(idleClosed)
            #expect(try await Self.curl(["http://127.0.0.1:\(port)/healthz"]).status == 200)
        }
    }

    @Test func oneAddressCannotTakeEverySlot() async throws {
        try await Self.serve({
            $0.maxPerAddress = 16
            $0.setTimeouts(head: 30, request: 30)
        }) { port in
            // 10,000 idle connections from one address (as far as the machine's file limit allows).
            let attempts = min(10_000, RawClient.raiseFileLimit(to: 10_600) - 500)
            let (connected, open) = try await Self.offPool { () -> (Int, Int) in
                var clients: [RawClient] = []
                defer { for c in clients { c.close() } }
                for _ in 0..<attempts {
                    if let c = RawClient(port: port) { clients.append(c) }
                }
                Thread.sleep(forTimeInterval: 1)
                return (clients.count, clients.filter { !$0.isClosed(wait: 0) }.count)
            }
            #expect(connected >= min(attempts, 5000), "\(connected) of \(attempts) connects")
            #expect(open <= 16, "\(open) of \(connected) idle connections kept")
            #expect(open >= 8)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.curl(["http://127.0.0.1:\(port)/healthz"]).status == 200, "the slots come back")
        }
    }

    @Test func anOversizedHeaderIsRefusedAndTheServerLivesOn() async throws {
        try await Self.serve { port in
            let (answer, closed) = try await Self.offPool { () -> (String, Bool) in
                guard let big = RawClient(port: port) else { return ("", false) }
                defer { big.close() }
                big.send(
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n")
                return (big.receive(wait: 3), big.isClosed(wait: 3))
            }
            #expect(!answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(40))")
            #expect(closed)
            let huge = try await Self.curl([
                "-H", "X-Big: " + String(repeating: "b", count: 100_000), "http://127.0.0.1:\(port)/healthz",
            ])
            #expect(huge.status != 200)
            #expect(try await Self.curl(["http://127.0.0.1:\(port)/healthz"]).status == 200)
        }
    }
}
