import Testing
@testable import StrataFTP

struct FakeFS: FileSystemView {
    var files: [String: FileEntry]

    func entry(_ p: VirtualPath) -> FileEntry? {
        if p.components.isEmpty { return FileEntry(name: "/", isDirectory: true, size: 0, modified: 0) }
        return files[p.description]
    }

    func list(_ p: VirtualPath) -> [FileEntry]? {
        let prefix = p.components.isEmpty ? "/" : p.description + "/"
        return files.filter { $0.key.hasPrefix(prefix) && !$0.key.dropFirst(prefix.count).contains("/") }.map(\.value).sorted { $0.name < $1.name }
    }
}

@Suite struct FTPLineDecoderTests {
    @Test func crlfAndBareLfEndLinesOneByteAtATime() {
        var d = FTPLineDecoder()
        var out: [FTPLineDecoder.Output] = []
        for b in Array("USER demo\r\npass x\nNOOP\r".utf8) { out += d.feed([b]) }
        #expect(out == [.line("USER demo"), .line("pass x")])
        #expect(d.feed(Array("\n".utf8)) == [.line("NOOP")])
    }

    @Test func telnetInterruptBeforeAborIsStripped() {
        var d = FTPLineDecoder()
        // IAC IP IAC DM "ABOR", as ftplib's abort() sends it.
        #expect(d.feed([0xFF, 0xF4, 0xFF, 0xF2] + Array("ABOR\r\n".utf8)) == [.line("ABOR")])
        #expect(d.feed([0xFF, 0xFB, 0x01] + Array("NOOP\r\n".utf8)) == [.line("NOOP")])
    }

    @Test func anOverlongLineIsReportedOnce() {
        var d = FTPLineDecoder(maxLength: 16)
        #expect(d.feed(Array(repeating: UInt8(ascii: "A"), count: 40)) == [.tooLong])
        #expect(d.feed(Array("\r\nNOOP\r\n".utf8)) == [])
    }

    @Test(arguments: [("retr a b.csv", "RETR", "a b.csv"), ("NOOP", "NOOP", ""), ("opts utf8 on", "OPTS", "utf8 on"), ("  PWD", "PWD", "")])
    func commandsAreCaseInsensitive(line: String, verb: String, arg: String) {
        #expect(FTPCommand(line: line) == FTPCommand(verb: verb, argument: arg))
    }
}

@Suite struct VirtualPathTests {
    @Test(arguments: [
        ("/", "..", "/"), ("/iso", "../../etc/passwd", "/etc/passwd"), ("/iso/main", "..\\..\\x", "/x"),
        ("/iso", "/excel-eu/main/", "/excel-eu/main"), ("/a", "./b/./c", "/a/b/c"), ("/", "", "/"),
    ])
    func pathsNeverLeaveTheRoot(cwd: String, arg: String, expected: String) throws {
        let base = try #require(VirtualPath.root.resolving(cwd))
        #expect(base.resolving(arg)?.description == expected)
    }

    @Test func nulIsRefused() { #expect(VirtualPath.root.resolving("a\0b") == nil) }
}

@Suite struct FTPSessionTests {
    let fs = FakeFS(files: [
        "/iso": FileEntry(name: "iso", isDirectory: true, size: 0, modified: 1_790_000_000),
        "/iso/main": FileEntry(name: "main", isDirectory: true, size: 0, modified: 1_790_000_000),
        "/iso/main/year.csv": FileEntry(name: "year.csv", isDirectory: false, size: 1234, modified: 1_790_000_000),
    ])

    func loggedIn() -> FTPSession {
        var s = FTPSession(fileSystem: fs, homes: ["demo": .root])
        _ = s.handle(FTPCommand(line: "USER demo"))
        _ = s.handle(FTPCommand(line: "PASS demo"))
        _ = s.loginResult(true)
        return s
    }

    @Test func featAndOptsWorkBeforeLogin() {
        var s = FTPSession(fileSystem: fs, homes: [:])
        #expect(s.handle(FTPCommand(line: "opts utf8 on")) == [.reply(200, "UTF8 mode always on.")])
        guard case .replyLines(211, let lines) = s.handle(FTPCommand(line: "FEAT")).first else { Issue.record("no FEAT"); return }
        #expect(lines.contains(" MLST type*;size*;modify*;perm*;unix.mode*;") && lines.contains(" EPSV") && lines.contains(" UTF8"))
        #expect(s.handle(FTPCommand(line: "LIST")) == [.reply(530, "Please log in with USER and PASS.")])
    }

    @Test func loginIsCheckedByTheAdapterAndLimited() {
        var s = FTPSession(fileSystem: fs, homes: ["demo": .root], maxLoginAttempts: 2)
        #expect(s.handle(FTPCommand(line: "USER demo")) == [.reply(331, "Password required for demo.")])
        #expect(s.handle(FTPCommand(line: "PASS nope")) == [.verify(user: "demo", password: "nope")])
        #expect(s.handle(FTPCommand(line: "PWD")) == [.reply(503, "Checking the password, wait.")])
        #expect(s.loginResult(false) == [.reply(530, "Login incorrect.")])
        _ = s.handle(FTPCommand(line: "USER demo"))
        _ = s.handle(FTPCommand(line: "PASS nope"))
        #expect(s.loginResult(false) == [.reply(530, "Login incorrect; too many attempts."), .close])
    }

    @Test func navigationSizeAndTimes() {
        var s = loggedIn()
        #expect(s.handle(FTPCommand(line: "CWD /iso/main/")) == [.reply(250, "Directory changed to /iso/main.")])
        #expect(s.handle(FTPCommand(line: "PWD")) == [.reply(257, "\"/iso/main\" is the current directory.")])
        #expect(s.handle(FTPCommand(line: "SIZE year.csv")) == [.reply(213, "1234")])
        #expect(s.handle(FTPCommand(line: "MDTM year.csv")) == [.reply(213, "20260921141320")])
        #expect(s.handle(FTPCommand(line: "CWD ../../../../etc")) == [.reply(550, "No such directory.")])
        #expect(s.handle(FTPCommand(line: "CDUP")) == [.reply(250, "Directory changed to /iso.")])
    }

    @Test(arguments: ["STOR x.csv", "DELE year.csv", "MKD new", "RNFR a", "SITE CHMOD 777 x", "APPE x", "RMD iso", "MFMT 20260101000000 x"])
    func everyWriteIsRefused(line: String) {
        var s = loggedIn()
        #expect(s.handle(FTPCommand(line: line)).first.map { if case .reply(550, _) = $0 { true } else { false } } == true)
    }

    @Test func transfersNeedAPreparedDataConnectionAndRestartOnce() {
        var s = loggedIn()
        #expect(s.handle(FTPCommand(line: "RETR /iso/main/year.csv")) == [.reply(425, "Use PASV or EPSV first.")])
        #expect(s.handle(FTPCommand(line: "EPSV")) == [.openPassive(extended: true)])
        #expect(s.handle(FTPCommand(line: "REST 100")) == [.reply(350, "Restarting at 100. Send RETR.")])
        let path = VirtualPath.root.resolving("/iso/main/year.csv")!
        #expect(s.handle(FTPCommand(line: "RETR /iso/main/year.csv")) == [.transfer(.retrieve(path, offset: 100, size: 1234))])
        // 5xx before 150: the data connection is not used up.
        #expect(s.handle(FTPCommand(line: "PASV")) == [.openPassive(extended: false)])
        #expect(s.handle(FTPCommand(line: "RETR nothing.csv")) == [.reply(550, "No such file.")])
        #expect(s.handle(FTPCommand(line: "LIST -la /iso/main")) == [.transfer(.list(VirtualPath.root.resolving("/iso/main")!, .long))])
    }

    @Test func homesConfineAUser() {
        var s = FTPSession(fileSystem: fs, homes: ["iso": VirtualPath.root.resolving("/iso")!])
        _ = s.handle(FTPCommand(line: "USER iso"))
        _ = s.handle(FTPCommand(line: "PASS x"))
        _ = s.loginResult(true)
        #expect(s.handle(FTPCommand(line: "SIZE /main/year.csv")) == [.reply(213, "1234")])
        #expect(s.handle(FTPCommand(line: "CWD /../iso")) == [.reply(550, "No such directory.")])
    }

    @Test func listLinesAndFacts() {
        let e = FileEntry(name: "2026-09.csv", isDirectory: false, size: 53_211, modified: 1_790_000_000)
        #expect(ListingFormat.listLine(e, now: 1_790_100_000) == "-r--r--r-- 1 strata strata        53211 Sep 21 14:13 2026-09.csv")
        #expect(ListingFormat.listLine(e, now: 1_820_000_000) == "-r--r--r-- 1 strata strata        53211 Sep 21  2026 2026-09.csv")
        #expect(ListingFormat.mlsdFacts(e) == "type=file;size=53211;modify=20260921141320;perm=r;unix.mode=0444; 2026-09.csv")
    }
}
