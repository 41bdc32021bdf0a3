import Foundation
import Testing

@testable import StrataFTP

/// What an attacker tries over the wire, one command at a time (ftplib sends full paths in a
/// single command, unlike curl which walks with CWD): nothing outside the root can be read,
/// listed or sized; floods and password guessing are cut off.
@Suite(.serialized) struct FTPSecurityTests {
    /// The test tree plus links: to a folder and to a file outside the root (both refused),
    /// and to a folder and a file inside it (served as what they point to).
    static func makeTreeWithLinks() throws -> (root: String, outside: String) {
        let root = try FTPClientTests.makeTree()
        let outside = root + "-outside"
        let fm = FileManager.default
        try fm.createDirectory(atPath: outside + "/x", withIntermediateDirectories: true)
        try "top secret\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try "deeper secret\n".write(toFile: outside + "/x/deep.txt", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/iso/out", withDestinationPath: outside)
        try fm.createSymbolicLink(atPath: root + "/iso/secret.txt", withDestinationPath: outside + "/secret.txt")
        try fm.createSymbolicLink(atPath: root + "/iso/eu", withDestinationPath: "../excel-eu")
        try fm.createSymbolicLink(atPath: root + "/iso/day-link.csv", withDestinationPath: "main/day/2026.csv")
        // A link inside the root that points at a hidden (temporary) file stays hidden.
        try fm.createSymbolicLink(atPath: root + "/iso/hidden-link", withDestinationPath: ".tmp-hidden")
        return (root, outside)
    }

    @Test func noSingleCommandReachesOutsideTheRoot() async throws {
        let (root, outside) = try Self.makeTreeWithLinks()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import ftplib, sys, io
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                f.voidcmd("TYPE I")
                def attempt(label, fn):
                    try:
                        r = fn()
                        print(label, "OK", repr(r))
                    except ftplib.all_errors as e:
                        print(label, "ERR", str(e)[:3])
                def retr(path):
                    buf = io.BytesIO()
                    f.retrbinary("RETR " + path, buf.write)
                    return buf.getvalue().decode()
                def lines(cmd):
                    out = []
                    f.retrlines(cmd, out.append)
                    return out
                for p in ["/iso/out/secret.txt", "/iso/out/x/deep.txt", "/iso/secret.txt", "/iso/escape/passwd", "/iso/hidden-link"]:
                    attempt("RETR " + p, lambda: retr(p))
                    attempt("SIZE " + p, lambda: f.sendcmd("SIZE " + p))
                    attempt("MDTM " + p, lambda: f.sendcmd("MDTM " + p))
                    attempt("MLST " + p, lambda: f.sendcmd("MLST " + p))
                for p in ["/iso/out", "/iso/out/x", "/iso/escape", "/iso/escape/ssl"]:
                    attempt("CWD " + p, lambda: f.sendcmd("CWD " + p))
                    attempt("LIST " + p, lambda: lines("LIST " + p))
                    attempt("NLST " + p, lambda: lines("NLST " + p))
                    attempt("MLSD " + p, lambda: lines("MLSD " + p))
                f.sendcmd("CWD /")
                attempt("LIST /iso", lambda: lines("NLST /iso"))
                # Links that stay inside the root are served as what they point to.
                attempt("RETR /iso/day-link.csv", lambda: retr("/iso/day-link.csv"))
                attempt("RETR /iso/eu/main/year.csv", lambda: retr("/iso/eu/main/year.csv"))
                attempt("CWD /iso/eu/main", lambda: f.sendcmd("CWD /iso/eu/main"))
                f.quit()
                """
            let r = try await FTPClientTests.run("python3", ["-c", script, "\(port)"])
            #expect(r.status == 0, "\(r.err)")
            let lines = r.out.split(separator: "\n").map(String.init)
            for p in [
                "/iso/out/secret.txt", "/iso/out/x/deep.txt", "/iso/secret.txt", "/iso/escape/passwd",
                "/iso/hidden-link",
            ] {
                for verb in ["RETR", "SIZE", "MDTM", "MLST"] {
                    #expect(lines.contains("\(verb) \(p) ERR 550"), "\(verb) \(p): \(r.out)")
                }
            }
            for p in ["/iso/out", "/iso/out/x", "/iso/escape", "/iso/escape/ssl"] {
                #expect(lines.contains("CWD \(p) ERR 550"), "CWD \(p): \(r.out)")
                for verb in ["LIST", "NLST", "MLSD"] {
                    // A missing folder lists nothing or is refused: never the outside folder's names.
                    let line = lines.first { $0.hasPrefix("\(verb) \(p) ") } ?? ""
                    #expect(line == "\(verb) \(p) ERR 550" || line == "\(verb) \(p) OK []", "\(line)")
                }
            }
            // Not a byte of the outside files, not one of their names in a listing.
            #expect(!r.out.contains("top secret") && !r.out.contains("deeper secret"), "\(r.out)")
            #expect(!r.out.contains("'deep.txt'") && !r.out.contains("'secret.txt'"))
            // Inside links: listed, and served.
            let listing = lines.first { $0.hasPrefix("LIST /iso OK") } ?? ""
            #expect(listing.contains("'day-link.csv'") && listing.contains("'eu'"), "\(listing)")
            #expect(
                !listing.contains("'out'") && !listing.contains("'escape'") && !listing.contains("'hidden-link'"),
                "\(listing)")
            #expect(
                lines.contains("RETR /iso/day-link.csv OK 'start,value\\r\\n2026-01-01 00:00:00,1.5\\r\\n'"), "\(r.out)"
            )
            #expect(lines.contains { $0.hasPrefix("RETR /iso/eu/main/year.csv OK '\\ufeffstart;value") }, "\(r.out)")
            #expect(lines.contains { $0.hasPrefix("CWD /iso/eu/main OK '250") }, "\(r.out)")
        }
    }

    /// The same rules hold for the file-system adapter itself, whatever the session asks.
    @Test func adapterRefusesEveryPathThroughALinkOut() throws {
        let (root, outside) = try Self.makeTreeWithLinks()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: outside)
        }
        let fs = ArchiveFileSystem(root: root)
        for text in [
            "/iso/out/secret.txt", "/iso/out", "/iso/out/x/deep.txt", "/iso/secret.txt", "/iso/escape/passwd",
            "/iso/hidden-link",
        ] {
            let p = try #require(VirtualPath.root.resolving(text))
            #expect(fs.entry(p) == nil, "\(text)")
            #expect(fs.list(p) == nil, "\(text)")
            #expect(fs.openFile(p) == -1, "\(text)")
        }
        let inside = try #require(VirtualPath.root.resolving("/iso/day-link.csv"))
        let fd = fs.openFile(inside)
        #expect(fd >= 0)
        if fd >= 0 { close(fd) }
    }

    /// A client that floods commands behind a running transfer is answered once and closed.
    @Test func commandsQueuedDuringATransferAreCapped() async throws {
        let root = try FTPWireTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import ftplib, socket, sys
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                f.voidcmd("TYPE I")
                conn = f.transfercmd("RETR /big.bin")   # never read: the transfer stays running
                f.sock.sendall(b"NOOP\\r\\n" * 1000)
                f.sock.settimeout(10)
                data = b""
                try:
                    while True:
                        b = f.sock.recv(4096)
                        if not b: break
                        data += b
                except OSError as e:
                    print("error", type(e).__name__)
                print("codes", [l[:3] for l in data.decode().split("\\r\\n") if l])
                g = ftplib.FTP()
                g.connect("127.0.0.1", int(sys.argv[1]))
                g.login("demo", "demo")
                print("next client", g.pwd())
                """
            let r = try await FTPClientTests.run("python3", ["-c", script, "\(port)"])
            #expect(r.status == 0, "\(r.err)")
            // No reply to the held NOOPs, one 421, then the server closed the connection.
            #expect(r.out.contains("codes ['421']"), "\(r.out)")
            #expect(r.out.contains("next client /"))
        }
    }

    /// `max_clients` counts every address: a sixth client from another address is refused.
    @Test func maxClientsHoldsAcrossAddresses() async throws {
        let root = try FTPClientTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root, maxPerIP: 20, maxClients: 5) { port in
            let script = """
                import socket, sys, time
                port = int(sys.argv[1])
                def greet(src):
                    s = socket.create_connection(("127.0.0.1", port), source_address=(src, 0))
                    s.settimeout(10)
                    return s, s.recv(200).decode()[:3]
                held = []
                for i in range(5):
                    s, code = greet("127.0.0.%d" % (2 + i % 3))
                    held.append(s)
                    print("client", i, code)
                s, code = greet("127.0.0.9")
                print("sixth", code)
                s.close()
                held.pop().close()
                time.sleep(0.5)
                s, code = greet("127.0.0.9")
                print("after one left", code)
                """
            let r = try await FTPClientTests.run("python3", ["-c", script, "\(port)"])
            #expect(r.status == 0, "\(r.err)")
            for i in 0..<5 { #expect(r.out.contains("client \(i) 220"), "\(r.out)") }
            #expect(r.out.contains("sixth 421"))
            #expect(r.out.contains("after one left 220"))
        }
    }

    /// Three wrong passwords: each answered 530 after a delay of about a second, then the
    /// control connection is closed.
    @Test func threeWrongPasswordsCloseTheConnection() async throws {
        let root = try FTPClientTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.settimeout(10)
                f = s.makefile("rb")
                print("greeting", f.readline().decode()[:3])
                for i in range(3):
                    s.sendall(b"USER demo\\r\\n")
                    print("user", f.readline().decode()[:3])
                    t = time.monotonic()
                    s.sendall(b"PASS wrong%d\\r\\n" % i)
                    line = f.readline().decode()
                    print("pass", i, line[:3], "delayed", time.monotonic() - t >= 0.9)
                rest = f.read()
                print("after", repr(rest))
                """
            let r = try await FTPClientTests.run("python3", ["-c", script, "\(port)"])
            #expect(r.status == 0, "\(r.err)")
            for i in 0..<3 { #expect(r.out.contains("pass \(i) 530 delayed True"), "\(r.out)") }
            #expect(r.out.contains("after b''"), "closed after the third: \(r.out)")
        }
    }

    /// A small passive range serves transfer after transfer: the ports of closed data
    /// connections wait in TIME_WAIT, and the listener must still bind them (SO_REUSEADDR),
    /// or the range runs dry and clients get 425.
    @Test func aSmallPassiveRangeServesManyTransfersInARow() async throws {
        let root = try FTPClientTests.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let base = 46_000 + Int.random(in: 0..<3000)
        try await FTPClientTests.withServer(root: root, passivePorts: base...(base + 3)) { port in
            let script = """
                import ftplib, sys
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                codes = []
                for i in range(24):
                    try:
                        codes.append(len(f.nlst("/iso/main")))
                    except ftplib.all_errors as e:
                        codes.append(str(e)[:3])
                print("results", codes)
                """
            let r = try await FTPClientTests.run("python3", ["-c", script, "\(port)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(
                r.out.contains("results [" + Array(repeating: "2", count: 24).joined(separator: ", ") + "]"), "\(r.out)"
            )
        }
    }

    @Test func passiveCandidatesStayInTheRangeWithoutRepeats() {
        for _ in 0..<100 {
            let c = FTPConnection.passiveCandidates(40_000...40_009)
            #expect(c.count == 10 && Set(c).count == 10 && c.allSatisfy { (40_000...40_009).contains($0) })
            let wide = FTPConnection.passiveCandidates(40_000...44_999)
            #expect(wide.count == 64 && Set(wide).count == 64 && wide.allSatisfy { (40_000...44_999).contains($0) })
        }
        #expect(FTPConnection.passiveCandidates(nil) == [0])
    }
}
