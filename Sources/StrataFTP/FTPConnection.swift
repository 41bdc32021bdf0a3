import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One control connection: decodes lines, feeds the session, performs its actions.
struct FTPConnection {
    let config: FTPServerConfig
    let logger: Logger
    let client: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let fs: ArchiveFileSystem
    let limiter: CheckLimiter
    /// Accepted on the implicit-FTPS port: the connection is encrypted from the first byte.
    let implicitTLS: Bool

    init(
        config: FTPServerConfig, logger: Logger, client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, limiter: CheckLimiter,
        implicitTLS: Bool = false
    ) {
        self.limiter = limiter
        self.implicitTLS = implicitTLS
        self.config = config
        self.logger = logger
        self.client = client
        fs = ArchiveFileSystem(root: config.root)
    }

    var peerIP: String? { client.channel.remoteAddress?.ipAddress }

    func run() async {
        do {
            try await client.executeThenClose { inbound, outbound in
                try await serve(inbound, outbound)
            }
        } catch {
            logger.debug("FTP connection ended", metadata: ["peer": "\(peerIP ?? "?")", "error": "\(error)"])
        }
    }

    /// What the control loop reacts to: client input, the end of a transfer, the login deadline.
    enum Event: Sendable {
        case input(ByteBuffer)
        case inputEnded
        case transferEnded(FTPSession.TransferOutcome, sent: Int64, seconds: Double)
        case loginDeadline
    }

    func serve(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ out: NIOAsyncChannelOutboundWriter<ByteBuffer>)
        async throws
    {
        var homes: [String: VirtualPath] = [:]
        for u in config.users { homes[u.name] = VirtualPath.root.resolving(u.home) ?? .root }
        var session = FTPSession(
            fileSystem: fs, homes: homes, maxLoginAttempts: config.loginAttempts,
            tlsAvailable: config.tls != nil, requireTLS: config.requireTLS, peerAddress: peerIP,
            passiveHost: config.publicHost ?? client.channel.localAddress?.ipAddress ?? "127.0.0.1")
        if implicitTLS { session.tlsStarted() }
        var decoder = FTPLineDecoder()
        // The I/O of the data connections; what they mean is the session's.
        var passive: (listener: Channel, own: AsyncStream<Channel>)?
        var running: (data: Channel, progress: Progress)?
        func closePassive() {
            passive?.listener.close(promise: nil)
            passive = nil
        }
        defer { closePassive() }
        let idle = try? await client.channel.pipeline.handler(type: IdleCloser.self).get()
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Input is read all the time, also during a transfer: ABOR and STAT must get through.
            group.addTask {
                do {
                    for try await buf in inbound { sink.yield(.input(buf)) }
                } catch {}
                sink.yield(.inputEnded)
            }
            let loginTimeout = config.loginTimeout
            group.addTask {
                try? await Task.sleep(for: .nanoseconds(loginTimeout.nanoseconds))
                sink.yield(.loginDeadline)
            }
            defer {
                running?.data.close(promise: nil)
                sink.finish()
                group.cancelAll()
            }

            /// Performs a session's actions, and the session's answers to them; false when the
            /// connection is to end.
            func perform(_ first: [FTPSession.Action]) async throws -> Bool {
                var actions = first
                while !actions.isEmpty {
                    switch actions.removeFirst() {
                    case .reply(let code, let text):
                        try await out.write(ByteBuffer(string: "\(code) \(text)\r\n"))
                    case .replyLines(let code, let lines):
                        var text = ""
                        for (i, l) in lines.enumerated() {
                            text += i == 0 ? "\(code)-\(l)\r\n" : i == lines.count - 1 ? "\(code) \(l)\r\n" : "\(l)\r\n"
                        }
                        try await out.write(ByteBuffer(string: text))
                    case .close: return false
                    case .startTLS:
                        guard let ctx = config.tls else { continue }
                        let ch = client.channel
                        // 234 goes out in clear, then TLS sits next to the socket before the
                        // client's hello can be read: both on the event loop, in that order.
                        try await ch.eventLoop.flatSubmit {
                            ch.writeAndFlush(ByteBuffer(string: "234 AUTH TLS successful.\r\n")).flatMapThrowing {
                                try ch.pipeline.syncOperations.addHandler(
                                    NIOSSLServerHandler(context: ctx), position: .first)
                            }
                        }.get()
                        session.tlsStarted()
                        // Anything sent in clear after AUTH is dropped (no command injection).
                        decoder = FTPLineDecoder()
                    case .verify(let user, let password):
                        var ok = false
                        if let u = config.users.first(where: { $0.name == user }) {
                            // The check runs here, outside the limiter: up to `cores` at once.
                            await limiter.acquire()
                            ok = u.check(password)
                            await limiter.release()
                        }
                        if !ok {
                            // A delay after each failure slows guessing down.
                            try await Task.sleep(for: .seconds(1))
                            logger.notice(
                                "FTP login failed", metadata: ["user": "\(user)", "peer": "\(peerIP ?? "?")"])
                        }
                        actions = session.loginResult(ok) + actions
                    case .openPassive:
                        closePassive()
                        passive = await listenPassive(group: &group)
                        actions =
                            session.passiveOpened(port: passive.map { $0.listener.localAddress?.port ?? 0 }) + actions
                    case .closePassive:
                        closePassive()
                    case .transfer(let t, let channel):
                        let data = await connect(channel, passive: passive)
                        closePassive()
                        guard let data else {
                            actions = session.dataFailed(.noConnection) + actions
                            continue
                        }
                        guard let prepared = open(t) else {
                            data.close(promise: nil)
                            actions = session.dataFailed(.cannotOpenFile) + actions
                            continue
                        }
                        guard try await perform(session.transferOpened(t, bytes: prepared.progress.total)) else {
                            return false
                        }
                        let resumption: TLSResumptionCheck?
                        do {
                            resumption = try await prepareData(data, tls: session.protectData)
                        } catch {
                            prepared.abandon(data)
                            actions = session.dataFailed(.notSecured) + actions
                            continue
                        }
                        session.transferStarted()
                        idle?.setTransferring(true)
                        running = (data, prepared.progress)
                        let tls = session.protectData
                        group.addTask { [resumption] in
                            let started = Date()
                            let outcome = await self.stream(prepared, over: data, tls: tls, resumption: resumption)
                            sink.yield(
                                .transferEnded(
                                    outcome, sent: prepared.progress.sent, seconds: Date().timeIntervalSince(started)))
                        }
                    case .abortTransfer:
                        running?.data.close(promise: nil)
                    case .transferStatus:
                        if let r = running {
                            try await out.write(
                                ByteBuffer(
                                    string:
                                        "213-Status: sending \(r.progress.path)\r\n \(r.progress.sent) of \(r.progress.total) bytes sent\r\n213 End of status\r\n"
                                ))
                        }
                    }
                }
                return true
            }

            guard try await perform(session.greeting()) else { return }
            eventLoop: for await event in events {
                switch event {
                case .input(let buf):
                    for item in decoder.feed(buf.readableBytesView) {
                        guard case .line(let line) = item else {
                            _ = try await perform(session.lineTooLong())
                            break eventLoop
                        }
                        let secureBefore = session.controlSecure
                        guard try await perform(session.handle(FTPCommand(line: line))) else { break eventLoop }
                        // After AUTH TLS the rest of this clear-text buffer is dropped.
                        if session.controlSecure != secureBefore { break }
                    }
                case .inputEnded:
                    break eventLoop
                case .loginDeadline:
                    guard try await perform(session.loginDeadlinePassed()) else { break eventLoop }
                case .transferEnded(let result, let sent, let seconds):
                    if let r = running, r.progress.kind == .retrieve, result == .completed, !session.aborting {
                        config.stats.served(bytes: sent)
                        logger.info(
                            "FTP RETR",
                            metadata: [
                                "user": "\(session.user ?? "?")", "peer": "\(peerIP ?? "?")",
                                "path": "\(r.progress.path)", "bytes": "\(sent)",
                                "seconds": "\(String(format: "%.3f", seconds))",
                            ])
                    }
                    running = nil
                    idle?.setTransferring(false)
                    guard try await perform(session.transferEnded(result)) else { break eventLoop }
                    if idle?.closeAfterTransfer == true {
                        _ = try await perform(session.shuttingDown())
                        break eventLoop
                    }
                    // Commands that came during the transfer, in order, until one starts the next.
                    while let actions = session.nextHeld() {
                        guard try await perform(actions) else { break eventLoop }
                    }
                }
            }
        }
    }
}
