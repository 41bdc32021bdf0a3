import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import StrataTestSupport
import Testing

@testable import StrataWeb

/// The real server on a loopback port, with curl as the client and raw sockets as the hostile
/// ones: the loopback rules, and clients that are slow, greedy or oversized.
@Suite(.serialized) struct WebLiveTests {
    /// Runs the server of `web` (settings as given) while `body` runs, then shuts it down.
    ///
    /// `body` blocks (curl, raw sockets), so it runs on a thread of its own: on the cooperative
    /// pool it could hold the threads the server needs to answer it (two, on a 2-core machine).
    static func serve(_ configure: (inout WebSettings) -> Void = { _ in }, _ body: @escaping @Sendable (Int) throws -> Void) async throws {
        let site = try WebRouterTests.shared.get()
        var settings = try site.app().settings
        settings.port = Net.freePort()
        configure(&settings)
        let web = WebApp(reader: try SiteReader(config: site.config), settings: settings, metrics: StrataMetrics(), now: { WebSite.now })
        var logger = Logger(label: "test.web")
        logger.logLevel = .error
        let app = try web.application(logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait for the port to answer.
            for _ in 0..<100 {
                if let s = RawClient(port: settings.port) { s.close(); break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let port = settings.port
            do {
                try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                    Thread { c.resume(with: Result { try body(port) }) }.start()
                }
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// `curl` as a user runs it: status code and body.
    static func curl(_ args: [String]) throws -> (status: Int, body: String) {
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
        try await Self.serve { port throws in
            let base = "http://127.0.0.1:\(port)"
            let devices = try Self.curl(["-u", "alice:alice-pw", base + "/api/v1/devices"])
            #expect(devices.status == 200)
            #expect(devices.body.contains("\"id\":\"water\""))
            #expect(try Self.curl(["-u", "alice:wrong", base + "/api/v1/devices"]).status == 401)
            let metrics = try Self.curl([base + "/metrics"])
            #expect(metrics.status == 200, "no login from this machine")
            #expect(metrics.body.contains("# TYPE strata_store_bytes gauge"))
            #expect(try Self.curl([base + "/api/v1/devices"]).status == 401, "but the API needs one")
        }
    }

    @Test func httpsWithTheCertificateFilesAndSecureCookies() async throws {
        let dir = TempDir()
        let (cert, key) = try SMTPPeer.certificate(in: dir.path)
        let tls = try WebSettings.tls(certificate: cert, key: key)
        try await Self.serve({ $0.tls = tls }) { port throws in
            let base = "https://127.0.0.1:\(port)"
            let devices = try Self.curl(["--cacert", cert, "-u", "alice:alice-pw", base + "/api/v1/devices"])
            #expect(devices.status == 200)
            #expect(devices.body.contains("\"id\":\"main\""))
            let login = try Self.curl(["--cacert", cert, "-i", "-d", "user=alice&password=alice-pw", base + "/login"])
            #expect(login.body.lowercased().contains("set-cookie: strata_session=") && login.body.contains("Secure"), "\(login.body.prefix(400))")
            #expect(try Self.curl(["http://127.0.0.1:\(port)/healthz"]).status != 200, "no plain HTTP on the HTTPS port")
        }
    }

    @Test func slowAndIdleClientsAreClosedAndOthersServed() async throws {
        try await Self.serve({ $0.setTimeouts(head: 1, request: 5) }) { port throws in
            // Slowloris: a request head one byte at a time, never finished.
            let slow = try #require(RawClient(port: port))
            defer { slow.close() }
            slow.send("GET / HTTP/1.1\r\nHost: x\r\n")
            let started = Date()
            var closed = false
            while Date().timeIntervalSince(started) < 6 {
                if !slow.send("X") || slow.isClosed(wait: 0.3) {
                    closed = true
                    break
                }
            }
            #expect(closed, "a head that never ends is cut off")
            #expect(Date().timeIntervalSince(started) < 4)
            // An idle connection that never sends anything is closed too.
            let idle = try #require(RawClient(port: port))
            defer { idle.close() }
            #expect(idle.isClosed(wait: 3))
            #expect(try Self.curl(["http://127.0.0.1:\(port)/healthz"]).status == 200)
        }
    }

    @Test func oneAddressCannotTakeEverySlot() async throws {
        try await Self.serve({ $0.maxPerAddress = 16; $0.setTimeouts(head: 30, request: 30) }) { port throws in
            var clients: [RawClient] = []
            defer { for c in clients { c.close() } }
            for _ in 0..<500 {
                if let c = RawClient(port: port) { clients.append(c) }
            }
            Thread.sleep(forTimeInterval: 0.5)
            let open = clients.filter { !$0.isClosed(wait: 0.01) }.count
            #expect(open <= 16, "\(open) of 500 idle connections kept")
            #expect(open >= 8)
            for c in clients { c.close() }
            Thread.sleep(forTimeInterval: 0.3)
            #expect(try Self.curl(["http://127.0.0.1:\(port)/healthz"]).status == 200, "the slots come back")
        }
    }

    @Test func anOversizedHeaderIsRefusedAndTheServerLivesOn() async throws {
        try await Self.serve { port throws in
            let big = try #require(RawClient(port: port))
            defer { big.close() }
            big.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 1 << 20) + "\r\n\r\n")
            let answer = big.receive(wait: 3)
            #expect(!answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(40))")
            #expect(big.isClosed(wait: 3))
            let huge = try Self.curl(["-H", "X-Big: " + String(repeating: "b", count: 100_000), "http://127.0.0.1:\(port)/healthz"])
            #expect(huge.status != 200)
            #expect(try Self.curl(["http://127.0.0.1:\(port)/healthz"]).status == 200)
        }
    }
}

/// A blocking TCP client on 127.0.0.1 that does exactly what a test tells it.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    init?(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 {
            Glibc.close(fd)
            return nil
        }
    }

    @discardableResult
    func send(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Whether the server closed the connection (EOF or reset) within `wait` seconds.
    func isClosed(wait: Double) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(wait * 1000)) > 0 else { return false }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
            if n == 0 { return true }
            if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    func receive(wait: Double) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(wait)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) > 0 else { continue }
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private var closed = false

    /// Closes once: a second close could hit a descriptor the process has reused since.
    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
