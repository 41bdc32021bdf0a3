import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@testable import StrataFTP

/// Behaviour over the wire that clients and attackers rely on: ABOR and STAT during a
/// transfer, the login and data-stall timeouts, and the security limits.
@Suite(.serialized) struct FTPWireTests {
    /// A tree with a 64 MB file: large enough that a client that stops reading stalls it.
    static func makeTree() throws -> String {
        let root = try FTPClientTests.makeTree()
        let fd = open(root + "/big.bin", O_CREAT | O_WRONLY, 0o644)
        ftruncate(fd, 64 << 20)
        close(fd)
        return root
    }

    static func python(_ script: String, _ args: [String]) async throws -> FTPClientTests.Run {
        try await FTPClientTests.run("python3", ["-c", script] + args)
    }

    @Test func aborAndStatDuringATransfer() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import ftplib, sys
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                f.voidcmd("TYPE I")
                conn = f.transfercmd("RETR /big.bin")
                got = len(conn.recv(65536))
                f.putcmd("STAT")
                print("stat", f.getmultiline().replace("\\n", " | "))
                print("abort", f.abort()[:3])      # ABOR as urgent data, as ftplib sends it
                print("then", f.getresp()[:3])
                conn.close()
                print("noop", f.voidcmd("NOOP")[:3])
                print("size", f.size("/big.bin"))
                print("idle abort", f.abort()[:3])
                f.quit()
                """
            let r = try await Self.python(script, ["\(port)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("stat 213-Status: sending /big.bin | "), "\(r.out)")
            #expect(r.out.contains("of 67108864 bytes sent | 213 End of status"))
            #expect(r.out.contains("abort 426"))
            #expect(r.out.contains("then 226"))
            #expect(r.out.contains("noop 200"))
            #expect(r.out.contains("size 67108864"))
            #expect(r.out.contains("idle abort 225"))
        }
    }

    @Test func stalledDataConnectionIsClosedAndTheClientStaysServed() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root, data: .seconds(1)) { port in
            let script = """
                import ftplib, sys, time
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                f.voidcmd("TYPE I")
                conn = f.transfercmd("RETR /big.bin")
                time.sleep(3)                      # takes nothing: the server gives up
                total = 0
                while True:
                    b = conn.recv(1 << 20)
                    if not b: break
                    total += len(b)
                conn.close()
                print("partial", total < 64 << 20)
                try:
                    f.voidresp()
                except ftplib.error_temp as e:
                    print("reply", str(e)[:3])
                print("noop", f.voidcmd("NOOP")[:3])
                """
            let r = try await Self.python(script, ["\(port)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("partial True"), "\(r.out)")
            #expect(r.out.contains("reply 426"))
            #expect(r.out.contains("noop 200"))
        }
    }

    @Test func clientsThatDoNotLogInAreClosed() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root, login: .seconds(1)) { port in
            let script = """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.settimeout(10)
                data = b""
                while True:
                    b = s.recv(4096)
                    if not b: break
                    data += b
                print(repr(data.decode()))
                """
            let r = try await Self.python(script, ["\(port)"])
            #expect(r.out.contains("220 "), "\(r.out)\(r.err)")
            #expect(r.out.contains("421 Login timeout"))
        }
    }

    @Test func portAndPassiveOnlyForTheClientsOwnAddress() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import ftplib, socket, sys
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                for cmd in ["PORT 127,0,0,2,200,10", "EPRT |1|127.0.0.2|51210|", "PORT 127,0,0,1,0,80", "EPRT |1|127.0.0.1|80|"]:
                    try:
                        print(cmd, f.sendcmd(cmd)[:3])
                    except ftplib.error_perm as e:
                        print(cmd, str(e)[:3])
                # Passive: a connection from another address (127.0.0.2) is refused, ours is served.
                host, p = f.makepasv()
                thief = socket.create_connection((host, p), source_address=("127.0.0.2", 0))
                thief.settimeout(5)
                mine = socket.create_connection((host, p))
                f.putcmd("NLST /iso")
                print("nlst", f.getresp()[:3])
                try:
                    print("thief got", thief.recv(100))
                except Exception as e:
                    print("thief got", type(e).__name__)
                names = b""
                while True:
                    b = mine.recv(4096)
                    if not b: break
                    names += b
                print("mine got", sorted(names.decode().split()))
                print("done", f.voidresp()[:3])
                """
            let r = try await Self.python(script, ["\(port)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("PORT 127,0,0,2,200,10 504"), "\(r.out)")
            #expect(r.out.contains("EPRT |1|127.0.0.2|51210| 504"))
            #expect(r.out.contains("PORT 127,0,0,1,0,80 504"))
            #expect(r.out.contains("EPRT |1|127.0.0.1|80| 504"))
            #expect(r.out.contains("nlst 150"))
            #expect(r.out.contains("thief got b''") || r.out.contains("thief got ConnectionResetError"), "\(r.out)")
            #expect(r.out.contains("mine got ['main']"))
            #expect(r.out.contains("done 226"))
        }
    }

    @Test func megabyteLineGetsOneReplyAndTheServerGoesOn() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import ftplib, socket, sys
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.settimeout(10)
                try:
                    s.sendall(b"USER " + b"A" * (1 << 20) + b"\\r\\n")
                except OSError:
                    pass
                data = b""
                try:
                    while True:
                        b = s.recv(4096)
                        if not b: break
                        data += b
                except OSError:
                    pass
                print("lines", [l[:3] for l in data.decode().split("\\r\\n") if l])
                f = ftplib.FTP()
                f.connect("127.0.0.1", int(sys.argv[1]))
                f.login("demo", "demo")
                print("next client", f.pwd())
                """
            let r = try await Self.python(script, ["\(port)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("lines ['220', '500']"), "\(r.out)")
            #expect(r.out.contains("next client /"))
        }
    }

    /// 500 idle connections from one address: the per-address limit holds with a clear 421, and
    /// a client from another address is still served.
    @Test func fiveHundredIdleConnections() async throws {
        let root = try Self.makeTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await FTPClientTests.withServer(root: root) { port in
            let script = """
                import ftplib, resource, socket, sys
                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
                port = int(sys.argv[1])
                socks, codes = [], {}
                for i in range(500):
                    s = socket.create_connection(("127.0.0.1", port))
                    s.settimeout(10)
                    socks.append(s)
                for s in socks:
                    line = s.recv(200).decode()
                    codes[line[:3]] = codes.get(line[:3], 0) + 1
                print("codes", sorted(codes.items()))
                f = ftplib.FTP()
                f.connect("127.0.0.2", port) if False else None
                g = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
                g.settimeout(10)
                print("fresh", g.recv(200).decode()[:3])
                g.sendall(b"USER demo\\r\\n"); print("user", g.recv(200).decode()[:3])
                g.sendall(b"PASS demo\\r\\n"); print("pass", g.recv(200).decode()[:3])
                """
            let r = try await Self.python(script, ["\(port)"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("codes [('220', 20), ('421', 480)]"), "\(r.out)")
            #expect(r.out.contains("fresh 220"))
            #expect(r.out.contains("pass 230"))
        }
    }

    /// Implicit FTPS on a second port: curl's ftps:// scheme speaks TLS from the first byte.
    @Test func implicitFTPSOnASecondPort() async throws {
        let (root, tmp, tls) = try FTPClientTests.makeTreeWithCertificate()
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: tmp)
        }
        try await FTPClientTests.withServer(root: root, tls: tls, implicitTLS: true) { port in
            let list = try await FTPClientTests.run(
                "curl", ["-s", "-S", "-k", "ftps://demo:demo@127.0.0.1:\(port)/iso/main/"])
            #expect(list.status == 0, "\(list.err)")
            #expect(list.out.contains("big.csv"), "\(list.out)")
            let got = try await FTPClientTests.run(
                "curl", ["-s", "-S", "-k", "ftps://demo:demo@127.0.0.1:\(port)/iso/main/big.csv"])
            #expect(got.status == 0)
            #expect(got.out == (try? String(contentsOfFile: root + "/iso/main/big.csv", encoding: .utf8)))
        }
    }
}
