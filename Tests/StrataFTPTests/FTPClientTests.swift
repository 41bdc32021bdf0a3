import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@testable import StrataFTP

/// The real server on loopback, driven by clients nobody here wrote: curl, lftp, Python's ftplib.
@Suite(.serialized) struct FTPClientTests {
    /// A small archive-like tree, with a file of 3 MB so transfers take several chunks.
    static func makeTree() throws -> String {
        let root = NSTemporaryDirectory() + "strata-ftp-" + UUID().uuidString
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/iso/main/day", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/excel-eu/main", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/with space", withIntermediateDirectories: true)
        try "start,value\r\n2026-01-01 00:00:00,1.5\r\n".write(
            toFile: root + "/iso/main/day/2026.csv", atomically: true, encoding: .utf8)
        var big = "start,value\r\n"
        for i in 0..<100_000 { big += "2026-01-01 00:00:00,\(i).123456789\r\n" }
        try big.write(toFile: root + "/iso/main/big.csv", atomically: true, encoding: .utf8)
        try "\u{FEFF}start;value\r\n".write(toFile: root + "/excel-eu/main/year.csv", atomically: true, encoding: .utf8)
        try "x\r\n".write(toFile: root + "/with space/a b.csv", atomically: true, encoding: .utf8)
        try ".".write(toFile: root + "/iso/.tmp-hidden", atomically: true, encoding: .utf8)
        // A link leaving the root must be invisible.
        try fm.createSymbolicLink(atPath: root + "/iso/escape", withDestinationPath: "/etc")
        return root
    }

    /// Runs the server for the duration of `body`.
    /// A self-signed certificate for 127.0.0.1, made with the openssl tool.
    static func makeCertificate(in dir: String) throws -> (cert: String, key: String) {
        let cert = dir + "/tls.crt"
        let key = dir + "/tls.key"
        let r = try runBlocking(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-keyout", key, "-out", cert,
            ])
        guard r.status == 0 else { throw CertError.failed(r.err) }
        return (cert, key)
    }

    enum CertError: Error { case failed(String) }

    /// The test tree, and a certificate in a folder next to it (`tmp`, for downloads too).
    static func makeTreeWithCertificate() throws -> (root: String, tmp: String, tls: (cert: String, key: String)) {
        let root = try makeTree()
        let tmp = root + "-tls"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        return (root, tmp, try makeCertificate(in: tmp))
    }

    static func withServer(
        root: String, idle: TimeAmount = .minutes(5), tls: (cert: String, key: String)? = nil, requireTLS: Bool = false,
        login: TimeAmount = .seconds(60), data: TimeAmount = .seconds(60), maxPerIP: Int = 20, maxClients: Int = 200,
        passivePorts: ClosedRange<Int>? = nil,
        requireResumption: Bool = false, implicitTLS: Bool = false, _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let (ports, cont) = AsyncStream<Int>.makeStream()
        let users = [
            FTPUser(name: "demo", home: "", check: { $0 == "demo" }),
            FTPUser(name: "eu", home: "excel-eu", check: { $0 == "eu" }),
        ]
        var logger = Logger(label: "ftp-test")
        logger.logLevel = .error
        var config = FTPServerConfig(
            listen: "127.0.0.1", port: 0, root: root, users: users, maxClients: maxClients, maxPerIP: maxPerIP,
            idleTimeout: idle, requireTLS: requireTLS)
        config.loginTimeout = login
        config.passivePorts = passivePorts
        config.dataTimeout = data
        config.requireTLSResumption = requireResumption
        if let tls { config.tls = try FTPServerConfig.tlsContext(certificate: tls.cert, key: tls.key) }
        // With implicitTLS, `body` gets the port that speaks TLS from the first byte.
        if implicitTLS { config.implicitTLSPort = 0 }
        let server =
            implicitTLS
            ? FTPServer(config: config, logger: logger, onBoundImplicit: { cont.yield($0) })
            : FTPServer(config: config, logger: logger, onBound: { cont.yield($0) })
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var it = ports.makeAsyncIterator()
            guard let port = await it.next() else { return }
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    struct Run {
        var status: Int32
        var out: String
        var err: String
    }

    /// Runs a client to its end on a thread of its own: a test waiting for it must not hold a
    /// thread of the cooperative pool, which the in-process server needs to answer it.
    static func run(_ exe: String, _ args: [String], input: String? = nil) async throws -> Run {
        try await withCheckedThrowingContinuation { cont in
            Thread { cont.resume(with: Result { try runBlocking(exe, args, input: input) }) }.start()
        }
    }

    static func runBlocking(_ exe: String, _ args: [String], input: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [exe] + args
        let o = Pipe()
        let e = Pipe()
        let i = Pipe()
        p.standardOutput = o
        p.standardError = e
        p.standardInput = i
        try p.run()
        if let input { i.fileHandleForWriting.write(Data(input.utf8)) }
        try? i.fileHandleForWriting.close()
        let od = o.fileHandleForReading.readDataToEndOfFile()
        let ed = e.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(
            status: p.terminationStatus, out: String(decoding: od, as: UTF8.self),
            err: String(decoding: ed, as: UTF8.self))
    }

    @Test func curlListsDownloadsResumesAndRanges() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await Self.withServer(root: root) { port in
            let base = "ftp://demo:demo@127.0.0.1:\(port)"
            let list = try await Self.run("curl", ["-s", "\(base)/iso/"])
            #expect(list.status == 0, "\(list.err)")
            #expect(
                list.out.split(whereSeparator: \.isNewline).contains {
                    $0.hasPrefix("dr-xr-xr-x") && $0.hasSuffix(" main")
                }, "\(list.out)")
            #expect(!list.out.contains("escape") && !list.out.contains(".tmp-hidden"))
            let original = try Data(contentsOf: URL(fileURLWithPath: root + "/iso/main/big.csv"))
            for extra in [
                [], ["--ftp-method", "nocwd"], ["--ftp-method", "singlecwd"], ["--disable-epsv"], ["-P", "127.0.0.1"],
            ] {
                let out = root + "/../dl-\(port).csv"
                let r = try await Self.run("curl", ["-s", "-S", "-o", out] + extra + ["\(base)/iso/main/big.csv"])
                #expect(r.status == 0, "\(extra): \(r.err)")
                #expect((try? Data(contentsOf: URL(fileURLWithPath: out))) == original, "\(extra)")
                try? FileManager.default.removeItem(atPath: out)
            }
            // A byte range (curl ends it with ABOR) and a resumed download.
            let range = try await Self.run("curl", ["-s", "-r", "0-10", "\(base)/iso/main/big.csv"])
            #expect(range.out == "start,value")
            let part = root + "/../part-\(port).csv"
            try original.prefix(1_000_000).write(to: URL(fileURLWithPath: part))
            let resume = try await Self.run("curl", ["-s", "-S", "-C", "-", "-o", part, "\(base)/iso/main/big.csv"])
            #expect(resume.status == 0, "\(resume.err)")
            #expect((try? Data(contentsOf: URL(fileURLWithPath: part))) == original)
            try? FileManager.default.removeItem(atPath: part)
            // Paths with spaces; escapes stay inside; uploads and wrong passwords are refused.
            #expect(try await Self.run("curl", ["-s", "\(base)/with%20space/a%20b.csv"]).out == "x\r\n")
            #expect(try await Self.run("curl", ["-s", "\(base)/iso/escape/passwd"]).status != 0)
            #expect(try await Self.run("curl", ["-s", "\(base)/..%2F..%2Fetc/passwd"]).status != 0)
            let up = try await Self.run("curl", ["-s", "-T", "-", "\(base)/iso/new.csv"], input: "hacked")
            #expect(up.status != 0)
            #expect(!FileManager.default.fileExists(atPath: root + "/iso/new.csv"))
            // 67: login denied.
            #expect(try await Self.run("curl", ["-s", "ftp://demo:wrong@127.0.0.1:\(port)/"]).status == 67)
        }
    }

    @Test func pythonFtplibSeesWhatTheDiskHas() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await Self.withServer(root: root) { port in
            let script = """
                import ftplib, os, sys, time
                root, port = sys.argv[1], int(sys.argv[2])
                f = ftplib.FTP()
                f.connect("127.0.0.1", port)
                f.login("demo", "demo")
                print("pwd", f.pwd())
                lines = []
                f.retrlines("LIST /iso/main", lines.append)
                print("list", lines)
                facts = dict(f.mlsd("/iso/main"))
                st = os.stat(os.path.join(root, "iso/main/big.csv"))
                print("mlsd", facts["big.csv"]["type"], int(facts["big.csv"]["size"]) == st.st_size, facts["big.csv"]["perm"])
                f.voidcmd("TYPE I")
                print("size", f.size("/iso/main/big.csv") == st.st_size)
                mdtm = f.sendcmd("MDTM /iso/main/big.csv").split()[1]
                print("mdtm", mdtm == time.strftime("%Y%m%d%H%M%S", time.gmtime(st.st_mtime)))
                data = bytearray()
                f.retrbinary("RETR /iso/main/big.csv", data.extend, rest=1000)
                print("rest", bytes(data) == open(os.path.join(root, "iso/main/big.csv"), "rb").read()[1000:])
                text = []
                f.retrlines("RETR /iso/main/day/2026.csv", text.append)
                print("ascii", text)
                try:
                    f.storbinary("STOR /x.csv", open(os.path.join(root, "iso/main/day/2026.csv"), "rb"))
                except ftplib.error_perm as e:
                    print("stor", str(e)[:3])
                f.quit()
                g = ftplib.FTP()
                g.connect("127.0.0.1", port)
                g.login("eu", "eu")
                print("home", g.nlst())
                g.quit()
                """
            let r = try await Self.run("python3", ["-c", script, root, "\(port)"])
            #expect(r.status == 0, "\(r.err)")
            let out = r.out
            #expect(out.contains("pwd /"))
            let size =
                (try? FileManager.default.attributesOfItem(atPath: root + "/iso/main/big.csv")[.size] as? Int) ?? -1
            #expect(out.contains("list ['-r--r--r-- 1 strata strata      \(size) "), "\(out)")
            #expect(out.contains("mlsd file True r"))
            #expect(out.contains("size True"))
            #expect(out.contains("mdtm True"))
            #expect(out.contains("rest True"))
            #expect(out.contains("ascii ['start,value', '2026-01-01 00:00:00,1.5']"))
            #expect(out.contains("stor 550"))
            #expect(out.contains("home ['main']"), "\(out)")
        }
    }

    @Test func idleClientsAreClosedButTransfersAreNot() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await Self.withServer(root: root, idle: .seconds(1)) { port in
            let script = """
                import ftplib, sys, time
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                # A slow download: the control connection stays quiet for longer than the timeout.
                got = []
                f.retrbinary("RETR /iso/main/big.csv", lambda b: (got.append(len(b)), time.sleep(0.02)), blocksize=65536)
                print("transfer", sum(got))
                time.sleep(2.5)
                try:
                    f.voidcmd("NOOP")
                    print("still open")
                except Exception as e:
                    print("closed", str(e)[:3])
                """
            let r = try await Self.run("python3", ["-c", script, "\(port)"])
            let size =
                (try? FileManager.default.attributesOfItem(atPath: root + "/iso/main/big.csv")[.size] as? Int) ?? -1
            #expect(r.out.contains("transfer \(size)"), "\(r.out)\(r.err)")
            #expect(r.out.contains("closed 421"), "\(r.out)\(r.err)")
        }
    }

    @Test func ftpsWithCurlFtplibAndLftp() async throws {
        let (root, tmp, tls) = try Self.makeTreeWithCertificate()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: tmp)
        }
        try await Self.withServer(root: root, tls: tls, requireTLS: true) { port in
            let base = "ftp://demo:demo@127.0.0.1:\(port)"
            // Without TLS, a login is refused when the server requires it.
            #expect(try await Self.run("curl", ["-s", "\(base)/iso/"]).status != 0)
            // curl: AUTH SSL, PBSZ, PROT P, a listing and a download over TLS.
            let list = try await Self.run("curl", ["-s", "-S", "--ssl-reqd", "-k", "\(base)/iso/main/"])
            #expect(list.status == 0, "\(list.err)")
            #expect(list.out.contains("big.csv"))
            let out = tmp + "/dl.csv"
            let dl = try await Self.run(
                "curl", ["-s", "-S", "--ssl-reqd", "-k", "-o", out, "\(base)/iso/main/big.csv"])
            #expect(dl.status == 0, "\(dl.err)")
            #expect(
                FileManager.default.contents(atPath: out)
                    == FileManager.default.contents(atPath: root + "/iso/main/big.csv"))
            // Python's FTP_TLS (no TLS session resumption on data connections).
            let script = """
                import ftplib, ssl, sys
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                f = ftplib.FTP_TLS(context=ctx)
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                f.prot_p()
                data = bytearray()
                f.retrbinary("RETR /iso/main/big.csv", data.extend)
                print("size", len(data), f.size("/iso/main/big.csv"))
                print("mlsd", sorted(n for n, _ in f.mlsd("/iso")))
                f.quit()
                """
            let py = try await Self.run("python3", ["-c", script, "\(port)"])
            let size =
                (try? FileManager.default.attributesOfItem(atPath: root + "/iso/main/big.csv")[.size] as? Int) ?? -1
            #expect(py.out.contains("size \(size) \(size)"), "\(py.out)\(py.err)")
            #expect(py.out.contains("mlsd ['main']"), "\(py.out)")
            // lftp mirror over FTPS.
            let copy = tmp + "/mirror"
            let m = try await Self.run(
                "lftp",
                [
                    "-c",
                    "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no; set net:max-retries 1; open -u demo,demo -p \(port) 127.0.0.1; mirror /iso \(copy)",
                ])
            #expect(m.status == 0, "\(m.err)")
            #expect(
                try await Self.run("diff", ["-r", "-x", ".tmp-hidden", "-x", "escape", root + "/iso", copy]).status == 0
            )
        }
    }

    /// `require_tls_resumption`: clients that resume the control connection's TLS session on
    /// data connections (curl, lftp, ftplib taught to) are served, in TLS 1.2 and 1.3; plain
    /// ftplib starts a new session and gets 522, and its control connection goes on.
    @Test(arguments: ["1.2", "1.3"]) func dataConnectionsMustResumeTheTLSSessionWhenRequired(version: String)
        async throws
    {
        let (root, tmp, tls) = try Self.makeTreeWithCertificate()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: tmp)
        }
        let original = FileManager.default.contents(atPath: root + "/iso/main/big.csv")
        try await Self.withServer(root: root, tls: tls, requireTLS: true, requireResumption: true) { port in
            let base = "ftp://demo:demo@127.0.0.1:\(port)"
            let out = tmp + "/dl.csv"
            let pin = version == "1.2" ? ["--tls-max", "1.2"] : ["--tlsv1.3"]
            let dl = try await Self.run(
                "curl", ["-s", "-S", "--ssl-reqd", "-k"] + pin + ["-o", out, "\(base)/iso/main/big.csv"])
            #expect(dl.status == 0, "\(dl.err)")
            #expect(FileManager.default.contents(atPath: out) == original)
            let script = """
                import ftplib, ssl, sys
                port, reuse, version = int(sys.argv[1]), sys.argv[2] == "reuse", sys.argv[3]
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                v = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
                ctx.minimum_version = v
                ctx.maximum_version = v
                class Reusing(ftplib.FTP_TLS):
                    # The well-known recipe: wrap the data socket with the control connection's session.
                    def ntransfercmd(self, cmd, rest=None):
                        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
                        if self._prot_p:
                            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)
                        return conn, size
                f = (Reusing if reuse else ftplib.FTP_TLS)(context=ctx)
                f.connect("127.0.0.1", port)
                f.login("demo", "demo")
                f.prot_p()
                for attempt in range(2):
                    try:
                        data = bytearray()
                        f.retrbinary("RETR /iso/main/big.csv", data.extend)
                        print("served", len(data), f.sock.version())
                    except ftplib.all_errors as e:
                        print("refused", e)
                        if not str(e).startswith("522"):
                            try:
                                print("reply", f.getresp())
                            except ftplib.all_errors as e2:
                                print("refused", e2)
                print("pwd", f.pwd())
                f.quit()
                """
            let size = original?.count ?? -1
            let tlsName = version == "1.2" ? "TLSv1.2" : "TLSv1.3"
            let reusing = try await Self.run("python3", ["-c", script, "\(port)", "reuse", version])
            #expect(
                reusing.out.components(separatedBy: "served \(size) \(tlsName)").count == 3,
                "\(reusing.out)\(reusing.err)")
            let plain = try await Self.run("python3", ["-c", script, "\(port)", "plain", version])
            #expect(plain.out.contains("522 SSL connection failed: session reuse required"), "\(plain.out)\(plain.err)")
            #expect(!plain.out.contains("served"), "\(plain.out)")
            #expect(plain.out.contains("pwd /"), "\(plain.out)\(plain.err)")
            // lftp resumes its session too: a whole mirror over FTPS.
            let copy = tmp + "/mirror"
            let m = try await Self.run(
                "lftp",
                [
                    "-c",
                    "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:verify-certificate no; set net:max-retries 1; open -u demo,demo -p \(port) 127.0.0.1; mirror /iso \(copy)",
                ])
            #expect(m.status == 0, "\(m.err)")
            #expect(
                try await Self.run("diff", ["-r", "-x", ".tmp-hidden", "-x", "escape", root + "/iso", copy]).status == 0
            )
        }
    }

    @Test func shutdownTellsIdleClientsAndDoesNotWaitForThem() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = Pipe()
        let client = Process()
        let started = Date()
        try await Self.withServer(root: root) { port in
            let script = """
                import ftplib, sys
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                print("logged in", flush=True)
                f.sock.settimeout(20)
                print("got", f.sock.recv(100), flush=True)
                """
            client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            client.arguments = ["python3", "-c", script, "\(port)"]
            client.standardOutput = out
            try client.run()
            try await Task.sleep(for: .seconds(2))
        }
        // The server stopped without waiting for the idle client's 20 s.
        #expect(Date().timeIntervalSince(started) < 10)
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        #expect(said.contains("logged in") && said.contains("421 Server shutting down"), "\(said)")
    }

    @Test func lftpMirrorsTheTree() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lftp") else {
            Issue.record("lftp is not installed (.ci/run installs it)")
            return
        }
        let root = try Self.makeTree()
        let copy = root + "-mirror"
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: copy)
        }
        try await Self.withServer(root: root) { port in
            for mlsd in ["on", "off"] {
                try? FileManager.default.removeItem(atPath: copy)
                let r = try await Self.run(
                    "lftp",
                    [
                        "-c",
                        "set ftp:use-mlsd \(mlsd); set net:max-retries 1; open -u demo,demo -p \(port) 127.0.0.1; mirror / \(copy)",
                    ])
                #expect(r.status == 0, "\(r.err)")
                // What lftp fetched is the tree minus what the server hides (dot files, links out).
                let diff = try await Self.run("diff", ["-r", "-x", ".tmp-hidden", "-x", "escape", root, copy])
                #expect(diff.status == 0, "mlsd \(mlsd): \(diff.out)")
            }
        }
    }
}
