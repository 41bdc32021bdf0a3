/// The session's side of the adapter's work: greetings and closes, data connections,
/// transfers and the commands held during them.
extension FTPSession {
    /// The greeting, sent when the connection is accepted.
    public func greeting() -> [Action] { [.reply(220, "Strata FTP: the archive, read-only.")] }

    /// A line longer than the decoder's limit: the client is not speaking FTP.
    public func lineTooLong() -> [Action] { [.reply(500, "Line too long."), .close] }

    /// The login timeout has passed: a connection that has not logged in is closed.
    public func loginDeadlinePassed() -> [Action] {
        user == nil ? [.reply(421, "Login timeout: closing the connection."), .close] : []
    }

    /// The server is stopping: said after the running transfer, then closed.
    public func shuttingDown() -> [Action] { [.reply(421, "Server shutting down."), .close] }

    /// PORT/EPRT: data goes only back to the client's own address, never to a privileged port.
    func active(host: String, port: Int, _ l: inout LoggedIn) -> [Action] {
        guard host == peerAddress, port >= 1024 else {
            l.data = .unavailable
            return [.closePassive, .reply(504, "PORT/EPRT only to your own address and a port above 1023.")]
        }
        l.data = .active(host: host, port: port)
        return [.closePassive, .reply(200, "PORT command successful.")]
    }

    /// The adapter's answer to `.openPassive`: the listener's port, or nil when none opened.
    public mutating func passiveOpened(port: Int?) -> [Action] {
        guard case .opening(let extended)? = loggedIn?.data else { return [] }
        guard let port else {
            login { $0.data = .unavailable }
            return [.reply(425, "Cannot open a passive data connection.")]
        }
        login { $0.data = .passive }
        if extended { return [.reply(229, "Entering Extended Passive Mode (|||\(port)|)")] }
        let h = passiveHost.split(separator: ".").joined(separator: ",")
        return [.reply(227, "Entering Passive Mode (\(h),\(port >> 8),\(port & 255)).")]
    }

    /// The adapter's report that it has the data connection and the transfer's source open,
    /// `bytes` to send: the 150 reply.
    public func transferOpened(_ t: Transfer, bytes: Int64) -> [Action] {
        switch t {
        case .list: [.reply(150, "Here comes the listing.")]
        case .retrieve(let path, _, _):
            [
                .reply(
                    150,
                    "Opening \(binary ? "BINARY" : "ASCII") mode data connection for \(path.name) (\(bytes) bytes).")
            ]
        }
    }

    /// The adapter's report that a transfer could not start.
    public func dataFailed(_ why: DataFailure) -> [Action] {
        switch why {
        case .noConnection: [.reply(425, "Cannot open the data connection.")]
        case .notSecured: [.reply(425, "Cannot secure the data connection.")]
        case .cannotOpenFile: [.reply(550, "Cannot open the file.")]
        }
    }

    /// The adapter's report that it sent 150 and the data now flows.
    public mutating func transferStarted() {
        login { $0.transfer = LoggedIn.Transfer() }
    }

    /// The next command held during the transfer, handled now; nil when none is left or a
    /// replayed command started the next transfer (the rest wait for that one).
    public mutating func nextHeld() -> [Action]? {
        guard !transferring, let c = login({ $0.held.isEmpty ? nil : $0.held.removeFirst() }) ?? nil else {
            return nil
        }
        return handle(c)
    }

    /// The adapter's report that the data connection is closed; the replies end the transfer.
    public mutating func transferEnded(_ reported: TransferOutcome) -> [Action] {
        let outcome: TransferOutcome = aborting ? .aborted : reported
        login { $0.transfer = nil }
        switch outcome {
        case .completed: return [.reply(226, "Transfer complete.")]
        case .failed: return [.reply(426, "Data connection closed; transfer aborted.")]
        case .aborted:
            return [.reply(426, "Transfer aborted."), .reply(226, "ABOR successful; data connection closed.")]
        case .sessionNotResumed:
            // vsftpd's words, which users search for; then what to do about it.
            return [
                .reply(
                    522,
                    "SSL connection failed: session reuse required. The data connection must resume the control connection's TLS session (FileZilla, curl and lftp do; Python's ftplib does not)."
                )
            ]
        }
    }

    func transfer(_ t: Transfer, _ l: inout LoggedIn) -> [Action] {
        // A 5xx before 150 leaves the data connection alone: only prepared ones are used.
        let channel: DataChannel?
        switch l.data {
        case .none: return [.reply(425, "Use PASV or EPSV first.")]
        case .unavailable, .opening: channel = nil
        case .passive: channel = .passive
        case .active(let host, let port): channel = .active(host: host, port: port)
        }
        if requireTLS && !protectData { return [.reply(521, "This server requires PROT P for data connections.")] }
        l.data = .none
        guard let channel else { return dataFailed(.noConnection) }
        return [.transfer(t, over: channel)]
    }
}
