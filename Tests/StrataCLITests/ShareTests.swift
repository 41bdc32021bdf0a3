import Foundation
import StrataTestSupport
import Testing

/// The archive served read-only by a real Samba server, with the share section that
/// `strata share samba` prints, and read back with the real smbclient.
@Suite(.serialized) struct ShareTests {
    @Test func sambaServesTheArchiveReadOnlyByteForByte() throws {
        let dir = TempDir()
        try dir.write(
            "strata.toml", houseConfig() + "\n[archive]\npath = \"archive\"\ndialects = [\"excel-eu\", \"iso\"]\n")
        var csv = "t,v\n"
        // 2013-11-01, three days.
        for m in 0..<(3 * 1440) { csv += "\(1_383_289_200 + m * 60),\(1000 + Double(m) * 0.5)\n" }
        try dir.write("in.csv", csv)
        let imp = try CLI.run([
            "import", "--config", dir.file("strata.toml"), "--device", "water", "--time-column", "t",
            "--time-format", "unix", "--map", "v=volume", dir.file("in.csv"),
        ])
        #expect(imp.status == 0, "\(imp.stderr)")
        let arc = try CLI.run(["archive", "--config", dir.file("strata.toml")])
        #expect(arc.status == 0, "\(arc.stderr)")
        let share = try CLI.run(["share", "samba", "--config", dir.file("strata.toml")])
        #expect(share.status == 0)
        #expect(share.stdout.contains("read only = yes"))

        // A private smbd on a loopback port: its own config, state and log folders.
        let port = Net.freePort()
        for sub in ["priv", "lock", "state", "cache", "pid", "log"] {
            try FileManager.default.createDirectory(atPath: dir.file("smb/\(sub)"), withIntermediateDirectories: true)
        }
        try dir.write(
            "smb/smb.conf",
            """
            [global]
               workgroup = STRATA
               server role = standalone server
               smb ports = \(port)
               interfaces = lo
               bind interfaces only = yes
               private dir = \(dir.file("smb/priv"))
               lock directory = \(dir.file("smb/lock"))
               state directory = \(dir.file("smb/state"))
               cache directory = \(dir.file("smb/cache"))
               pid directory = \(dir.file("smb/pid"))
               log file = \(dir.file("smb/log/log.%m"))
               map to guest = Bad User
               guest account = nobody
               load printers = no
               disable spoolss = yes

            \(share.stdout)

            \(share.stdout.replacingOccurrences(of: "[archive]", with: "[archive-rw]").replacingOccurrences(of: "read only = yes", with: "read only = no"))
            """)
        #expect(share.stdout.contains("[archive]"))
        // The guest account must be able to walk down to the archive.
        chmod(dir.path, 0o755)
        let smbd = Process()
        smbd.executableURL = URL(fileURLWithPath: "/usr/sbin/smbd")
        smbd.arguments = ["--foreground", "--no-process-group", "--debug-stdout", "-s", dir.file("smb/smb.conf")]
        _ = FileManager.default.createFile(atPath: dir.file("smb/smbd.out"), contents: nil)
        let log = FileHandle(forWritingAtPath: dir.file("smb/smbd.out"))
        smbd.standardOutput = log
        smbd.standardError = log
        // In the foreground smbd quits when its stdin closes: hold a pipe open for its life.
        let keepAlive = Pipe()
        smbd.standardInput = keepAlive
        try smbd.run()
        defer {
            smbd.terminate()
            smbd.waitUntilExit()
            try? keepAlive.fileHandleForWriting.close()
        }
        // smbd creates its databases on first start: wait for it to listen.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, smbd.isRunning, !listening(port) { Thread.sleep(forTimeInterval: 0.2) }
        let listing = smbclient(port, "recurse; ls")
        let smbdLog = (try? dir.read("smb/smbd.out")) ?? ""
        try #require(
            listing.contains("README.txt"),
            "smbd running: \(smbd.isRunning), port \(port); smbclient: \(listing)\nsmbd: \(smbdLog.suffix(1500))\nconf: \((try? dir.read("smb/smb.conf")) ?? "")"
        )
        #expect(listing.contains("2013-11-02.csv"))

        // Files come back byte for byte.
        for rel in [
            "iso/water/day/2013.csv", "excel-eu/water/minute/2013/11/2013-11-02.csv",
            "excel-eu/_site/hour/2013/2013-11.csv", "README.txt",
        ] {
            let local = dir.file("got-" + rel.replacingOccurrences(of: "/", with: "_"))
            _ = smbclient(port, "get \(rel.replacingOccurrences(of: "/", with: "\\\\")) \(local)")
            let a = FileManager.default.contents(atPath: dir.file("archive/" + rel))
            let b = FileManager.default.contents(atPath: local)
            #expect(a != nil && a == b, "\(rel) differs over SMB")
        }
        // File permissions that would let the guest write: only `read only = yes` stands in the way.
        for folder in ["archive", "archive/iso", "archive/iso/water", "archive/iso/water/day"] {
            chmod(dir.file(folder), 0o777)
        }
        chmod(dir.file("archive/iso/water/day/2013.csv"), 0o666)
        let before = FileManager.default.contents(atPath: dir.file("archive/iso/water/day/2013.csv"))
        // Writing, overwriting, deleting, renaming and making folders through the share are refused.
        for cmd in [
            "put \(dir.file("in.csv")) intruder.csv", "put \(dir.file("in.csv")) iso\\water\\day\\2013.csv",
            "del iso\\water\\day\\2013.csv", "rename iso\\water\\day\\2013.csv x.csv", "mkdir iso\\new",
        ] {
            let out = smbclient(port, cmd)
            #expect(
                out.contains("NT_STATUS_ACCESS_DENIED") || out.contains("NT_STATUS_MEDIA_WRITE_PROTECTED"),
                "\(cmd): \(out)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("archive/intruder.csv")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("archive/iso/new")))
        #expect(FileManager.default.contents(atPath: dir.file("archive/iso/water/day/2013.csv")) == before)
        // The control: the same folder shared with `read only = no` does take the write, so the
        // refusals above come from the share's setting, not from file permissions.
        let rw = smbclient(port, "put \(dir.file("in.csv")) intruder.csv", share: "archive-rw")
        #expect(FileManager.default.fileExists(atPath: dir.file("archive/intruder.csv")), "\(rw)")
    }

    func smbclient(_ port: Int, _ commands: String, share: String = "archive") -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/smbclient")
        p.arguments = ["//127.0.0.1/\(share)", "-p", String(port), "-N", "-t", "10", "-c", commands]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        do { try p.run() } catch { return "smbclient did not start: \(error)" }
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: d, as: UTF8.self)
    }

    func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) }
        } == 0
    }
}
