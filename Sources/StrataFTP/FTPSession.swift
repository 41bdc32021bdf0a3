import Foundation

/// One FTP control connection as a state machine: a command in, actions out. It knows
/// nothing of sockets, files or clocks: the NIO adapter performs the actions (data
/// connections, password checks, transfers) and reports back; tests assert the actions.
///
/// Every protocol decision is made here, including those about data connections (which
/// one a transfer uses, 227/229 texts, PORT to a foreign address, commands held during a
/// transfer and replayed after it, ABOR): the adapter only opens, connects, streams and closes.
public struct FTPSession: Sendable {
    public enum Transfer: Equatable, Sendable {
        case list(VirtualPath, Style)
        case retrieve(VirtualPath, offset: Int64, size: Int64)

        public enum Style: Equatable, Sendable { case long, names, facts }
    }

    public enum Action: Equatable, Sendable {
        case reply(Int, String)
        /// A multi-line reply: `code-first`, inner lines, `code last`.
        case replyLines(Int, [String])
        /// Check a password (slow by design): answer with `loginResult`.
        case verify(user: String, password: String)
        /// Open a passive listener in place of any earlier one; answer with `passiveOpened`.
        case openPassive(extended: Bool)
        /// Close the passive listener, if any (PORT/EPRT chose an active connection instead).
        case closePassive
        /// Get the data connection and open what the transfer sends: answer with
        /// `transferOpened` (or `dataFailed`), then `transferStarted`, then `transferEnded`.
        case transfer(Transfer, over: DataChannel)
        /// Answer 234 and switch the control connection to TLS; then call `tlsStarted`.
        case startTLS
        case close
        /// ABOR during a transfer: close the data connection; `transferEnded(.aborted)` replies.
        case abortTransfer
        /// STAT during a transfer: report its progress (213).
        case transferStatus
    }

    /// Where a transfer's data goes.
    public enum DataChannel: Equatable, Sendable {
        /// The first connection from the client's address to the passive listener.
        case passive
        /// A connection to the client's own address (PORT/EPRT).
        case active(host: String, port: Int)
    }

    /// Why the adapter could not start a transfer.
    public enum DataFailure: Equatable, Sendable {
        /// No connection came to the listener in time, or the client refused ours.
        case noConnection
        /// TLS could not be put on the data connection.
        case notSecured
        /// The file could not be opened (gone since SIZE, or no longer readable).
        case cannotOpenFile
    }

    /// The data connection prepared by PASV/EPSV/PORT/EPRT for the next transfer.
    enum DataState: Equatable, Sendable {
        case none
        /// Asked for, but the listener did not open or the address was refused.
        case unavailable
        case opening(extended: Bool)
        case passive
        case active(host: String, port: Int)
    }

    /// Commands kept while a transfer runs (lftp pipelines a few); more closes the connection.
    public static let maxHeldCommands = 32

    /// How a transfer ended, as the adapter saw it.
    public enum TransferOutcome: Equatable, Sendable {
        case completed
        /// The data connection broke, or stalled past the data timeout.
        case failed
        /// ABOR closed it.
        case aborted
        /// A TLS data connection started a new session where `require_tls_resumption` asks
        /// it to resume the client's.
        case sessionNotResumed
    }

    enum State: Equatable, Sendable {
        case greeting
        case needPassword(String)
        case verifying(String)
        case loggedIn(LoggedIn)
    }

    /// A logged-in user's session: where they are and what the next transfer will use.
    struct LoggedIn: Equatable, Sendable {
        var user: String
        var home: VirtualPath
        var cwd = VirtualPath.root
        /// REST: the offset of the next RETR.
        var restart: Int64 = 0
        var data = DataState.none
        var binary = false
        /// Set while the adapter runs a transfer: the control connection still reads commands.
        var transfer: Transfer?
        /// Commands that came during a transfer, replayed in order after it (`nextHeld`).
        var held: [FTPCommand] = []

        struct Transfer: Equatable, Sendable {
            /// ABOR came during the running transfer: its end is reported as aborted.
            var aborting = false
        }

        func real(_ p: VirtualPath) -> VirtualPath { VirtualPath(components: home.components + p.components) }
    }

    public let fileSystem: any FileSystemView
    public let homes: [String: VirtualPath]
    public let maxLoginAttempts: Int
    /// Whether a certificate is configured (AUTH TLS offered), and whether logins need it.
    public let tlsAvailable: Bool
    public let requireTLS: Bool
    /// The client's address: active data connections go only there.
    public let peerAddress: String?
    /// The address 227 announces (the configured public host, or the control connection's).
    public let passiveHost: String
    public private(set) var controlSecure = false
    /// PROT P: data connections use TLS too.
    public private(set) var protectData = false
    private(set) var state: State = .greeting
    var failures = 0

    var loggedIn: LoggedIn? { if case .loggedIn(let l) = state { l } else { nil } }
    public var cwd: VirtualPath { loggedIn?.cwd ?? .root }
    public var binary: Bool { loggedIn?.binary ?? false }
    public var transferring: Bool { loggedIn?.transfer != nil }
    public var aborting: Bool { loggedIn?.transfer?.aborting ?? false }

    /// Changes the logged-in part of the state; nil (and nothing changed) when not logged in.
    mutating func login<R>(_ body: (inout LoggedIn) -> R) -> R? {
        guard case .loggedIn(var l) = state else { return nil }
        let r = body(&l)
        state = .loggedIn(l)
        return r
    }

    /// `homes`: user name → home folder inside the served tree.
    public init(
        fileSystem: any FileSystemView, homes: [String: VirtualPath], maxLoginAttempts: Int = 3,
        tlsAvailable: Bool = false, requireTLS: Bool = false, peerAddress: String? = nil,
        passiveHost: String = "127.0.0.1"
    ) {
        self.fileSystem = fileSystem
        self.peerAddress = peerAddress
        self.passiveHost = passiveHost
        self.homes = homes
        self.maxLoginAttempts = maxLoginAttempts
        self.tlsAvailable = tlsAvailable
        self.requireTLS = requireTLS && tlsAvailable
    }

    /// The adapter's report that the control connection now speaks TLS.
    public mutating func tlsStarted() {
        controlSecure = true
        // RFC 4217: a secured control connection starts over with login.
        if case .loggedIn = state {} else { state = .greeting }
    }

    public var user: String? { loggedIn?.user }

    public static let features = [
        "EPSV", "EPRT", "MDTM", "MLST type*;size*;modify*;perm*;unix.mode*;", "PASV", "REST STREAM", "SIZE", "TVFS",
        "UTF8",
    ]
    static let writeVerbs: Set<String> = [
        "STOR", "APPE", "STOU", "DELE", "RMD", "XRMD", "MKD", "XMKD", "RNFR", "RNTO", "SITE", "MFMT", "ALLO",
    ]

    public mutating func handle(_ c: FTPCommand) -> [Action] {
        if transferring, let during = login({ Self.duringTransfer(c, &$0) }) { return during }
        // Commands that work in any state.
        switch c.verb {
        case "FEAT":
            let tls = tlsAvailable ? [" AUTH TLS", " AUTH SSL", " PBSZ", " PROT"] : []
            return [.replyLines(211, ["Features:"] + tls + Self.features.map { " " + $0 } + ["End"])]
        case "OPTS":
            let a = c.argument.uppercased()
            if a == "UTF8 ON" || a == "UTF-8 ON" { return [.reply(200, "UTF8 mode always on.")] }
            if a.hasPrefix("MLST") { return [.reply(200, "MLST OPTS type;size;modify;perm;unix.mode;")] }
            return [.reply(501, "Option not understood.")]
        case "SYST": return [.reply(215, "UNIX Type: L8")]
        case "NOOP": return [.reply(200, "NOOP ok.")]
        case "QUIT": return [.reply(221, "Goodbye."), .close]
        case "HELP":
            return [.replyLines(214, ["Commands recognised (read-only server):", " " + Self.helpVerbs, "Help ok."])]
        case "AUTH":
            guard tlsAvailable else { return [.reply(502, "TLS is not configured on this server.")] }
            guard ["TLS", "SSL", "TLS-C", "TLS-P"].contains(c.argument.uppercased()) else {
                return [.reply(504, "AUTH TLS or AUTH SSL.")]
            }
            if controlSecure { return [.reply(503, "TLS is already on.")] }
            return [.startTLS]
        case "PBSZ":
            guard controlSecure else { return [.reply(503, "Use AUTH TLS first.")] }
            return [.reply(200, "PBSZ=0")]
        case "PROT":
            guard controlSecure else { return [.reply(503, "Use AUTH TLS first.")] }
            switch c.argument.uppercased() {
            case "P":
                protectData = true
                return [.reply(200, "Data connections use TLS.")]
            case "C":
                if requireTLS { return [.reply(536, "This server requires PROT P.")] }
                protectData = false
                return [.reply(200, "Data connections in clear.")]
            default: return [.reply(504, "PROT P or PROT C.")]
            }
        case "CCC": return [.reply(534, "The control connection stays encrypted.")]
        default: break
        }
        switch state {
        case .greeting, .needPassword:
            return loginCommand(c)
        case .verifying:
            return [.reply(503, "Checking the password, wait.")]
        case .loggedIn:
            return command(c)
        }
    }

    /// RFC 959 4.1.3: ABOR and STAT are answered during a transfer; the rest waits.
    static func duringTransfer(_ c: FTPCommand, _ l: inout LoggedIn) -> [Action] {
        switch c.verb {
        case "ABOR":
            l.transfer?.aborting = true
            return [.abortTransfer]
        case "STAT" where c.argument.isEmpty: return [.transferStatus]
        default:
            // A client that floods commands behind a transfer is cut off, as for an over-long line.
            guard l.held.count < Self.maxHeldCommands else {
                return [.reply(421, "Too many commands sent during a transfer; closing the connection."), .close]
            }
            l.held.append(c)
            return []
        }
    }

    static let helpVerbs =
        "ABOR CDUP CWD EPRT EPSV FEAT HELP LIST MDTM MLSD MLST MODE NLST NOOP OPTS PASS PASV PORT PWD QUIT REST RETR SIZE STAT STRU SYST TYPE USER"

    mutating func loginCommand(_ c: FTPCommand) -> [Action] {
        switch c.verb {
        case "USER":
            guard !c.argument.isEmpty else { return [.reply(501, "USER needs a name.")] }
            if requireTLS && !controlSecure { return [.reply(530, "This server requires TLS: send AUTH TLS first.")] }
            state = .needPassword(c.argument)
            return [.reply(331, "Password required for \(c.argument).")]
        case "PASS":
            guard case .needPassword(let u) = state else { return [.reply(503, "Send USER first.")] }
            state = .verifying(u)
            return [.verify(user: u, password: c.argument)]
        case "ACCT": return [.reply(202, "No account needed.")]
        default: return [.reply(530, "Please log in with USER and PASS.")]
        }
    }

    /// The adapter's answer to `.verify`.
    public mutating func loginResult(_ ok: Bool) -> [Action] {
        guard case .verifying(let u) = state else { return [] }
        if ok, let h = homes[u] {
            state = .loggedIn(LoggedIn(user: u, home: h))
            return [.reply(230, "Logged in; the archive is read-only.")]
        }
        failures += 1
        state = .greeting
        if failures >= maxLoginAttempts { return [.reply(530, "Login incorrect; too many attempts."), .close] }
        return [.reply(530, "Login incorrect.")]
    }

    mutating func command(_ c: FTPCommand) -> [Action] {
        guard case .loggedIn(var l) = state else { return [] }
        let actions = command(c, &l)
        state = .loggedIn(l)
        return actions
    }

    func command(_ c: FTPCommand, _ l: inout LoggedIn) -> [Action] {
        if Self.writeVerbs.contains(c.verb) { return [.reply(550, "Read-only archive: \(c.verb) is not allowed.")] }
        switch c.verb {
        case "USER", "PASS": return [.reply(503, "Already logged in.")]
        case "ACCT": return [.reply(202, "No account needed.")]
        case "PWD", "XPWD":
            return [
                .reply(
                    257,
                    "\"\(l.cwd.description.replacingOccurrences(of: "\"", with: "\"\""))\" is the current directory."
                )
            ]
        case "CWD", "XCWD":
            guard let p = l.cwd.resolving(c.argument.isEmpty ? "/" : c.argument), let e = fileSystem.entry(l.real(p)),
                e.isDirectory
            else {
                return [.reply(550, "No such directory.")]
            }
            l.cwd = p
            return [.reply(250, "Directory changed to \(p).")]
        case "CDUP", "XCUP":
            l.cwd = l.cwd.parent
            return [.reply(250, "Directory changed to \(l.cwd).")]
        case "TYPE":
            let t = c.argument.uppercased()
            if t == "I" || t == "L 8" || t == "L8" {
                l.binary = true
                return [.reply(200, "Type set to I.")]
            }
            if t == "A" || t == "A N" {
                l.binary = false
                return [.reply(200, "Type set to A.")]
            }
            return [.reply(504, "Type not supported.")]
        case "MODE":
            return c.argument.uppercased() == "S" ? [.reply(200, "Mode S.")] : [.reply(504, "Only stream mode.")]
        case "STRU":
            return c.argument.uppercased() == "F"
                ? [.reply(200, "Structure F.")] : [.reply(504, "Only file structure.")]
        case "PASV":
            l.data = .opening(extended: false)
            return [.openPassive(extended: false)]
        case "EPSV":
            if c.argument.uppercased() == "ALL" { return [.reply(200, "EPSV ALL ok.")] }
            if !c.argument.isEmpty && c.argument != "1" && c.argument != "2" {
                return [.reply(522, "Network protocol not supported, use (1,2).")]
            }
            l.data = .opening(extended: true)
            return [.openPassive(extended: true)]
        case "PORT":
            let n = c.argument.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard n.count == 6, n.allSatisfy({ (0...255).contains($0) }) else {
                return [.reply(501, "PORT h1,h2,h3,h4,p1,p2.")]
            }
            return active(host: n[0..<4].map(String.init).joined(separator: "."), port: n[4] * 256 + n[5], &l)
        case "EPRT":
            // |af|address|port|, any delimiter.
            guard let d = c.argument.first else { return [.reply(501, "EPRT |1|host|port|.")] }
            let f = c.argument.split(separator: d, omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, let port = Int(f[3]), (1...65535).contains(port), f[1] == "1" || f[1] == "2" else {
                return [.reply(522, "Network protocol not supported, use (1,2).")]
            }
            return active(host: f[2], port: port, &l)
        case "REST":
            guard let n = Int64(c.argument), n >= 0 else { return [.reply(501, "REST needs a byte offset.")] }
            l.restart = n
            return [.reply(350, "Restarting at \(n). Send RETR.")]
        case "SIZE":
            guard let p = l.cwd.resolving(c.argument), let e = fileSystem.entry(l.real(p)), !e.isDirectory else {
                return [.reply(550, "No such file.")]
            }
            return [.reply(213, String(e.size))]
        case "MDTM":
            guard let p = l.cwd.resolving(c.argument), let e = fileSystem.entry(l.real(p)), !e.isDirectory else {
                return [.reply(550, "No such file.")]
            }
            return [.reply(213, ListingFormat.timestamp(e.modified))]
        case "MLST":
            guard let p = l.cwd.resolving(c.argument), let e = fileSystem.entry(l.real(p)) else {
                return [.reply(550, "No such file or directory.")]
            }
            var entry = e
            entry.name = p.description
            return [.replyLines(250, ["Listing \(p)", " " + ListingFormat.mlsdFacts(entry), "End"])]
        case "LIST", "NLST", "MLSD":
            let style: Transfer.Style = c.verb == "LIST" ? .long : c.verb == "NLST" ? .names : .facts
            // `ls`-style flags ("-la") come before a path that may contain spaces.
            var arg = Substring(c.argument)
            if style != .facts {
                while arg.hasPrefix("-") {
                    let flag = arg.prefix { $0 != " " }
                    arg = arg.dropFirst(flag.count).drop { $0 == " " }
                }
            }
            guard let p = l.cwd.resolving(String(arg)), let e = fileSystem.entry(l.real(p)) else {
                return [.reply(550, "No such file or directory.")]
            }
            if style == .facts && !e.isDirectory {
                return [.reply(501, "MLSD lists directories; use MLST for a file.")]
            }
            return transfer(.list(l.real(p), style), &l)
        case "RETR":
            guard let p = l.cwd.resolving(c.argument), let e = fileSystem.entry(l.real(p)), !e.isDirectory else {
                return [.reply(550, "No such file.")]
            }
            let offset = l.restart
            l.restart = 0
            if offset > e.size { return [.reply(554, "Restart offset beyond the end of the file.")] }
            return transfer(.retrieve(l.real(p), offset: offset, size: e.size), &l)
        case "ABOR": return [.reply(225, "No transfer to abort.")]
        case "STAT":
            if c.argument.isEmpty {
                return [
                    .replyLines(
                        211,
                        [
                            "Strata FTP status:", " Logged in as \(user ?? "")",
                            " TYPE: \(l.binary ? "BINARY" : "ASCII"), read-only", "End of status",
                        ])
                ]
            }
            guard let p = l.cwd.resolving(c.argument), let e = fileSystem.entry(l.real(p)) else {
                return [.reply(550, "No such file or directory.")]
            }
            let entries = e.isDirectory ? (fileSystem.list(l.real(p)) ?? []) : [e]
            return [
                .replyLines(
                    213,
                    ["Status of \(p):"] + entries.map { " " + ListingFormat.listLine($0, now: $0.modified) } + [
                        "End of status"
                    ])
            ]
        default:
            return [.reply(502, "\(c.verb) not implemented.")]
        }
    }
}
