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
        return files.filter { $0.key.hasPrefix(prefix) && !$0.key.dropFirst(prefix.count).contains("/") }.map(\.value)
            .sorted { $0.name < $1.name }
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

    @Test(arguments: [
        ("retr a b.csv", "RETR", "a b.csv"), ("NOOP", "NOOP", ""), ("opts utf8 on", "OPTS", "utf8 on"),
        ("  PWD", "PWD", ""),
    ])
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
        guard case .replyLines(211, let lines) = s.handle(FTPCommand(line: "FEAT")).first else {
            Issue.record("no FEAT")
            return
        }
        #expect(
            lines.contains(" MLST type*;size*;modify*;perm*;unix.mode*;") && lines.contains(" EPSV")
                && lines.contains(" UTF8"))
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

    @Test(arguments: [
        "STOR x.csv", "DELE year.csv", "MKD new", "RNFR a", "SITE CHMOD 777 x", "APPE x", "RMD iso",
        "MFMT 20260101000000 x",
    ])
    func everyWriteIsRefused(line: String) {
        var s = loggedIn()
        #expect(
            s.handle(FTPCommand(line: line)).first.map { if case .reply(550, _) = $0 { true } else { false } } == true)
    }

    @Test func transfersNeedAPreparedDataConnectionAndRestartOnce() {
        var s = loggedIn()
        #expect(s.handle(FTPCommand(line: "RETR /iso/main/year.csv")) == [.reply(425, "Use PASV or EPSV first.")])
        #expect(s.handle(FTPCommand(line: "EPSV")) == [.openPassive(extended: true)])
        _ = s.passiveOpened(port: 50_000)
        #expect(s.handle(FTPCommand(line: "REST 100")) == [.reply(350, "Restarting at 100. Send RETR.")])
        let path = VirtualPath.root.resolving("/iso/main/year.csv")!
        #expect(
            s.handle(FTPCommand(line: "RETR /iso/main/year.csv")) == [
                .transfer(.retrieve(path, offset: 100, size: 1234), over: .passive)
            ])
        // 5xx before 150: the data connection is not used up.
        #expect(s.handle(FTPCommand(line: "PASV")) == [.openPassive(extended: false)])
        _ = s.passiveOpened(port: 50_001)
        #expect(s.handle(FTPCommand(line: "RETR nothing.csv")) == [.reply(550, "No such file.")])
        #expect(
            s.handle(FTPCommand(line: "LIST -la /iso/main")) == [
                .transfer(.list(VirtualPath.root.resolving("/iso/main")!, .long), over: .passive)
            ])
    }

    func loggedIn(peer: String) -> FTPSession {
        var s = FTPSession(fileSystem: fs, homes: ["demo": .root], peerAddress: peer, passiveHost: "192.0.2.7")
        _ = s.handle(FTPCommand(line: "USER demo"))
        _ = s.handle(FTPCommand(line: "PASS demo"))
        _ = s.loginResult(true)
        return s
    }

    @Test func passiveRepliesNameTheListenersPortOrSayItDidNotOpen() {
        var s = loggedIn(peer: "192.0.2.1")
        #expect(s.handle(FTPCommand(line: "PASV")) == [.openPassive(extended: false)])
        #expect(s.passiveOpened(port: 50_021) == [.reply(227, "Entering Passive Mode (192,0,2,7,195,101).")])
        #expect(s.handle(FTPCommand(line: "EPSV")) == [.openPassive(extended: true)])
        #expect(s.passiveOpened(port: 50_022) == [.reply(229, "Entering Extended Passive Mode (|||50022|)")])
        #expect(s.handle(FTPCommand(line: "EPSV")) == [.openPassive(extended: true)])
        #expect(s.passiveOpened(port: nil) == [.reply(425, "Cannot open a passive data connection.")])
        // Asked for but not there: the transfer is refused without touching a connection.
        #expect(s.handle(FTPCommand(line: "NLST /iso")) == [.reply(425, "Cannot open the data connection.")])
        #expect(s.handle(FTPCommand(line: "NLST /iso")) == [.reply(425, "Use PASV or EPSV first.")])
    }

    @Test(arguments: [
        ("PORT 192,0,2,1,200,10", true), ("EPRT |1|192.0.2.1|51210|", true),
        ("PORT 10,0,0,9,200,10", false), ("EPRT |1|192.0.2.1|21|", false), ("PORT 192,0,2,1,0,80", false),
    ])
    func activeDataGoesOnlyToTheClientsOwnAddressAboveThePrivilegedPorts(line: String, allowed: Bool) {
        var s = loggedIn(peer: "192.0.2.1")
        if allowed {
            #expect(s.handle(FTPCommand(line: line)) == [.closePassive, .reply(200, "PORT command successful.")])
            guard case .transfer(_, .active(let host, let port))? = s.handle(FTPCommand(line: "LIST")).first else {
                Issue.record("expected an active transfer")
                return
            }
            #expect(host == "192.0.2.1" && port >= 1024)
        } else {
            #expect(
                s.handle(FTPCommand(line: line)) == [
                    .closePassive, .reply(504, "PORT/EPRT only to your own address and a port above 1023."),
                ])
            #expect(s.handle(FTPCommand(line: "LIST")) == [.reply(425, "Cannot open the data connection.")])
        }
    }

    @Test func commandsDuringATransferAreHeldAndReplayedInOrderUntilTheNextTransfer() {
        var s = loggedIn(peer: "192.0.2.1")
        _ = s.handle(FTPCommand(line: "EPSV"))
        _ = s.passiveOpened(port: 50_000)
        let list = s.handle(FTPCommand(line: "LIST /iso"))
        #expect(list.count == 1)
        guard case .transfer(let t, .passive)? = list.first else {
            Issue.record("no transfer")
            return
        }
        #expect(s.transferOpened(t, bytes: 10) == [.reply(150, "Here comes the listing.")])
        s.transferStarted()
        // lftp pipelines the next transfer behind this one.
        #expect(s.handle(FTPCommand(line: "PWD")) == [])
        #expect(s.handle(FTPCommand(line: "EPSV")) == [])
        #expect(s.handle(FTPCommand(line: "RETR /iso/main/year.csv")) == [])
        #expect(s.handle(FTPCommand(line: "SYST")) == [])
        #expect(s.handle(FTPCommand(line: "STAT")) == [.transferStatus])
        #expect(s.nextHeld() == nil) // not while the transfer runs
        #expect(s.transferEnded(.completed) == [.reply(226, "Transfer complete.")])
        #expect(s.nextHeld() == [.reply(257, "\"/\" is the current directory.")])
        #expect(s.nextHeld() == [.openPassive(extended: true)])
        _ = s.passiveOpened(port: 50_001)
        let path = VirtualPath.root.resolving("/iso/main/year.csv")!
        #expect(s.nextHeld() == [.transfer(.retrieve(path, offset: 0, size: 1234), over: .passive)])
        #expect(
            s.transferOpened(.retrieve(path, offset: 0, size: 1234), bytes: 1234)
                == [.reply(150, "Opening ASCII mode data connection for year.csv (1234 bytes).")])
        s.transferStarted()
        // SYST waits for the second transfer.
        #expect(s.nextHeld() == nil)
        #expect(s.transferEnded(.failed) == [.reply(426, "Data connection closed; transfer aborted.")])
        #expect(s.nextHeld() == [.reply(215, "UNIX Type: L8")])
        #expect(s.nextHeld() == nil)
    }

    /// The session's state is its enum: what a logged-in user has (home, folder, type, the
    /// prepared data connection, a running transfer and what waits behind it) lives in the
    /// `.loggedIn` case, and nothing of it exists before login.
    @Test func theStateIsInTheEnumsCases() throws {
        var s = FTPSession(fileSystem: fs, homes: ["demo": try #require(VirtualPath.root.resolving("/iso"))])
        _ = s.handle(FTPCommand(line: "USER demo"))
        #expect(s.state == .needPassword("demo"))
        _ = s.handle(FTPCommand(line: "PASS demo"))
        #expect(s.state == .verifying("demo"))
        _ = s.loginResult(true)
        let home = try #require(VirtualPath.root.resolving("/iso"))
        #expect(s.state == .loggedIn(.init(user: "demo", home: home)))
        _ = s.handle(FTPCommand(line: "CWD main"))
        _ = s.handle(FTPCommand(line: "TYPE I"))
        _ = s.handle(FTPCommand(line: "REST 100"))
        _ = s.handle(FTPCommand(line: "EPSV"))
        _ = s.passiveOpened(port: 50_002)
        let main = try #require(VirtualPath.root.resolving("/main"))
        #expect(
            s.state == .loggedIn(.init(user: "demo", home: home, cwd: main, restart: 100, data: .passive, binary: true))
        )
        _ = s.handle(FTPCommand(line: "RETR year.csv"))
        s.transferStarted()
        _ = s.handle(FTPCommand(line: "PWD"))
        _ = s.handle(FTPCommand(line: "ABOR"))
        #expect(
            s.state
                == .loggedIn(
                    .init(
                        user: "demo", home: home, cwd: main, binary: true, transfer: .init(aborting: true),
                        held: [FTPCommand(line: "PWD")])))
        _ = s.transferEnded(.completed)
        #expect(
            s.state
                == .loggedIn(.init(user: "demo", home: home, cwd: main, binary: true, held: [FTPCommand(line: "PWD")])))
        #expect(s.nextHeld() == [.reply(257, "\"/main\" is the current directory.")])
        #expect(s.state == .loggedIn(.init(user: "demo", home: home, cwd: main, binary: true)))
        // A failed login leaves nothing of a session behind.
        var t = FTPSession(fileSystem: fs, homes: ["demo": .root])
        _ = t.handle(FTPCommand(line: "USER demo"))
        _ = t.handle(FTPCommand(line: "PASS wrong"))
        _ = t.loginResult(false)
        #expect(t.state == .greeting && t.cwd == .root && !t.binary)
    }

    @Test func aborDuringATransferEndsItAsAbortedWhateverTheStreamReported() {
        var s = loggedIn(peer: "192.0.2.1")
        _ = s.handle(FTPCommand(line: "PASV"))
        _ = s.passiveOpened(port: 50_000)
        _ = s.handle(FTPCommand(line: "RETR /iso/main/year.csv"))
        s.transferStarted()
        #expect(s.handle(FTPCommand(line: "ABOR")) == [.abortTransfer])
        #expect(s.aborting)
        #expect(
            s.transferEnded(.completed) == [
                .reply(426, "Transfer aborted."), .reply(226, "ABOR successful; data connection closed."),
            ])
        #expect(!s.aborting)
        #expect(s.handle(FTPCommand(line: "ABOR")) == [.reply(225, "No transfer to abort.")])
    }

    @Test func aFloodOfCommandsDuringATransferClosesTheConnection() {
        var s = loggedIn(peer: "192.0.2.1")
        _ = s.handle(FTPCommand(line: "PASV"))
        _ = s.passiveOpened(port: 50_000)
        _ = s.handle(FTPCommand(line: "LIST"))
        s.transferStarted()
        for _ in 0..<FTPSession.maxHeldCommands { #expect(s.handle(FTPCommand(line: "NOOP")) == []) }
        #expect(
            s.handle(FTPCommand(line: "NOOP")) == [
                .reply(421, "Too many commands sent during a transfer; closing the connection."), .close,
            ])
    }

    @Test func theLoginDeadlineClosesOnlyConnectionsThatHaveNotLoggedIn() {
        let fresh = FTPSession(fileSystem: fs, homes: ["demo": .root])
        #expect(fresh.loginDeadlinePassed() == [.reply(421, "Login timeout: closing the connection."), .close])
        #expect(loggedIn().loginDeadlinePassed() == [])
        #expect(fresh.dataFailed(.cannotOpenFile) == [.reply(550, "Cannot open the file.")])
        #expect(fresh.dataFailed(.notSecured) == [.reply(425, "Cannot secure the data connection.")])
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
        #expect(
            ListingFormat.listLine(e, now: 1_790_100_000)
                == "-r--r--r-- 1 strata strata        53211 Sep 21 14:13 2026-09.csv")
        #expect(
            ListingFormat.listLine(e, now: 1_820_000_000)
                == "-r--r--r-- 1 strata strata        53211 Sep 21  2026 2026-09.csv")
        #expect(
            ListingFormat.mlsdFacts(e)
                == "type=file;size=53211;modify=20260921141320;perm=r;unix.mode=0444; 2026-09.csv")
    }
}
