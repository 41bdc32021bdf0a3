import Foundation
import StrataTestSupport
import Testing

/// `[ftp]` in strata.toml, `strata passwd`, and `strata run` serving the archive to curl.
@Suite(.serialized) struct FTPConfigTests {
    func config(_ dir: TempDir, ftp: String) -> String {
        """
        [site]
        name = "FTP test"
        timezone = "UTC"

        [storage]
        path = "\(dir.file("store.sqlite"))"

        [archive]
        path = "\(dir.file("archive"))"

        \(ftp)
        """
    }

    func curl(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s"] + args
        let o = Pipe()
        p.standardOutput = o
        p.standardError = FileHandle.nullDevice
        try p.run()
        let d = o.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: d, as: UTF8.self))
    }

    @Test func runServesUsersTheirHomesWithHashedPasswords() throws {
        let dir = TempDir()
        let hashRun = try CLI.run(["passwd"], input: "s3cret\n")
        let hash = hashRun.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hashRun.status == 0, "\(hashRun.stderr)")
        #expect(hash.hasPrefix("$scrypt$ln=14,r=8,p=1$") && !hash.contains("s3cret"))
        try FileManager.default.createDirectory(atPath: dir.file("archive/iso/main"), withIntermediateDirectories: true)
        try "a,b\r\n".write(toFile: dir.file("archive/iso/main/year.csv"), atomically: true, encoding: .utf8)
        try "secret\r\n".write(toFile: dir.file("archive/private.csv"), atomically: true, encoding: .utf8)
        let port = Net.freePort()
        try dir.write(
            "strata.toml",
            config(
                dir,
                ftp: """
                    [ftp]
                    listen = "127.0.0.1"
                    port = \(port)
                    passive_ports = "41000-41100"

                    [[ftp.users]]
                    name = "excel"
                    password_hash = "\(hash)"
                    home = "iso"
                    """))
        let check = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(
            check.stdout.contains("ftp 127.0.0.1:\(port), passive 41000-41100, users: excel (iso)"),
            "\(check.stdout)\(check.stderr)")
        let run = try CLI.start(["run", "--config", dir.file("strata.toml"), "--no-archive"])
        defer {
            run.process.terminate()
            _ = run.finish()
        }
        Thread.sleep(forTimeInterval: 2)
        let (ok, body) = try curl(["ftp://excel:s3cret@127.0.0.1:\(port)/main/year.csv"])
        #expect(ok == 0)
        #expect(body == "a,b\r\n")
        // The home is the user's root: the rest of the archive is out of reach.
        #expect(try curl(["ftp://excel:s3cret@127.0.0.1:\(port)/../private.csv"]).0 != 0)
        #expect(try curl(["ftp://excel:wrong@127.0.0.1:\(port)/"]).0 == 67)
        #expect(try curl(["ftp://anonymous:x@127.0.0.1:\(port)/"]).0 == 67) // anonymous is off by default
    }

    @Test(arguments: [
        ("require_tls = true", "ftp.require_tls", "needs tls_cert and tls_key"),
        ("require_tls_resumption = true", "ftp.require_tls_resumption", "needs tls_cert and tls_key"),
        ("require_tls_resumption = \"yes\"", "ftp.require_tls_resumption", "true or false"),
        ("tls_cert = \"/nonexistent.crt\"", "ftp.tls_key", "FTPS needs both"),
        ("passive_ports = \"80-90\"", "ftp.passive_ports", "above 1023"),
        ("public_host = \"strata.example.lan\"", "ftp.public_host", "IPv4 address"),
        ("[[ftp.users]]\nname = \"x\"\npassword_hash = \"plain\"", "ftp.users[0].password_hash", "strata passwd"),
        (
            "[[ftp.users]]\nname = \"x\"\npassword_hash = \"$scrypt$ln=10,r=8,p=1$AAAA$AAAA\"\nhome = \"../etc\"",
            "ftp.users[0].home", "inside the archive"
        ),
    ])
    func badFTPSettingsAreRefused(line: String, key: String, message: String) throws {
        let dir = TempDir()
        try dir.write("strata.toml", config(dir, ftp: "[ftp]\n" + line))
        let r = try CLI.run(["check", "--config", dir.file("strata.toml")])
        #expect(r.status == 2)
        #expect(r.stderr.contains(": \(key): ") && r.stderr.contains(message), "\(r.stderr)")
    }
}
