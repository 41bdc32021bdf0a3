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

    init(config: FTPServerConfig, logger: Logger, client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, limiter: CheckLimiter, implicitTLS: Bool = false) {
        self.limiter = limiter
        self.implicitTLS = implicitTLS
        self.config = config
        self.logger = logger
        self.client = client
        fs = ArchiveFileSystem(root: config.root)
    }

    var peerIP: String? { client.channel.remoteAddress?.ipAddress }

    /// Commands kept while a transfer runs; more than this closes the connection.
    static let maxHeldCommands = 32

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

    func serve(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ out: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var homes: [String: VirtualPath] = [:]
        for u in config.users { homes[u.name] = VirtualPath.root.resolving(u.home) ?? .root }
        var session = FTPSession(fileSystem: fs, homes: homes, maxLoginAttempts: config.loginAttempts,
                                 tlsAvailable: config.tls != nil, requireTLS: config.requireTLS)
        if implicitTLS { session.tlsStarted() }
        var decoder = FTPLineDecoder()
        var passive: (listener: Channel, own: AsyncStream<Channel>)?
        var active: (host: String, port: Int)?
        var running: (data: Channel, progress: Progress)?
        var aborting = false
        var held: [String] = []
        func send(_ code: Int, _ text: String) async throws {
            try await out.write(ByteBuffer(string: "\(code) \(text)\r\n"))
        }
        defer { passive?.listener.close(promise: nil) }
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

            /// Performs a session's actions; false when the connection is to end.
            func perform(_ first: [FTPSession.Action], line: String) async throws -> Bool {
                var actions = first
                while !actions.isEmpty {
                    let a = actions.removeFirst()
                    switch a {
                    case .reply(let code, let text): try await send(code, text)
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
                                try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx), position: .first)
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
                            logger.notice("FTP login failed", metadata: ["user": "\(user)", "peer": "\(peerIP ?? "?")"])
                        }
                        actions = session.loginResult(ok) + actions
                    case .openPassive(let extended):
                        passive?.listener.close(promise: nil)
                        passive = nil
                        active = nil
                        do {
                            let l = try await openPassive()
                            // Connections are accepted as they come: the client's own first one is
                            // held for the transfer command, any other is closed at once (425 for it).
                            let (own, sink) = AsyncStream.makeStream(of: Channel.self)
                            let peer = peerIP
                            group.addTask {
                                try? await l.executeThenClose { inbound in
                                    var delivered = false
                                    for try await ch in inbound {
                                        if !delivered, ch.remoteAddress?.ipAddress == peer {
                                            delivered = true
                                            sink.yield(ch)
                                        } else {
                                            ch.close(promise: nil)
                                        }
                                    }
                                }
                                sink.finish()
                            }
                            passive = (l.channel, own)
                            let port = l.channel.localAddress?.port ?? 0
                            if extended {
                                try await send(229, "Entering Extended Passive Mode (|||\(port)|)")
                            } else {
                                let host = config.publicHost ?? client.channel.localAddress?.ipAddress ?? "127.0.0.1"
                                let h = host.split(separator: ".").joined(separator: ",")
                                try await send(227, "Entering Passive Mode (\(h),\(port >> 8),\(port & 255)).")
                            }
                        } catch {
                            try await send(425, "Cannot open a passive data connection.")
                        }
                    case .openActive(let host, let port):
                        passive?.listener.close(promise: nil)
                        passive = nil
                        // Data goes only back to the client's own address, never to a privileged port.
                        if host != peerIP || port < 1024 {
                            active = nil
                            try await send(504, "PORT/EPRT only to your own address and a port above 1023.")
                        } else {
                            active = (host, port)
                            try await send(200, "PORT command successful.")
                        }
                    case .transfer(let t):
                        let data: Channel?
                        if let p = passive {
                            data = await firstConnection(p.own)
                            passive = nil
                            p.listener.close(promise: nil)
                        } else if let a = active {
                            data = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                                .channelOption(.autoRead, value: false)
                                .channelOption(.tcpOption(.tcp_nodelay), value: 0)
                                .connectTimeout(.seconds(10)).connect(host: a.host, port: a.port).get()
                            active = nil
                        } else {
                            data = nil
                        }
                        guard let data else {
                            try await send(425, "Cannot open the data connection.")
                            continue
                        }
                        guard let prepared = try await prepare(t, over: data, binary: session.binary, send: send) else { continue }
                        var resumption: TLSResumptionCheck?
                        if session.protectData, let ctx = config.tls {
                            do {
                                try await data.eventLoop.submit {
                                    try data.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx), position: .first)
                                }.get()
                                if config.requireTLSResumption { resumption = try await TLSResumptionCheck.install(on: data).get() }
                            } catch {
                                data.close(promise: nil)
                                try await send(425, "Cannot secure the data connection.")
                                continue
                            }
                        }
                        // A client that stops taking data does not hold the transfer forever.
                        let stall = config.dataTimeout
                        try? await data.eventLoop.submit {
                            try data.pipeline.syncOperations.addHandlers([IdleStateHandler(writeTimeout: stall), StallCloser()])
                        }.get()
                        try? await data.setOption(.autoRead, value: true).get()
                        session.transferStarted()
                        idle?.setTransferring(true)
                        aborting = false
                        running = (data, prepared.progress)
                        let tls = session.protectData
                        group.addTask { [resumption] in
                            let started = Date()
                            let outcome = await self.stream(prepared, over: data, tls: tls, resumption: resumption)
                            sink.yield(.transferEnded(outcome, sent: prepared.progress.sent, seconds: Date().timeIntervalSince(started)))
                        }
                    case .abortTransfer:
                        aborting = true
                        running?.data.close(promise: nil)
                    case .transferStatus:
                        if let r = running {
                            try await out.write(ByteBuffer(string: "213-Status: sending \(r.progress.path)\r\n \(r.progress.sent) of \(r.progress.total) bytes sent\r\n213 End of status\r\n"))
                        }
                    case .holdUntilTransferEnds:
                        // A client may queue a few commands behind a transfer (lftp pipelines);
                        // one that floods them is cut off, as for an over-long line.
                        guard held.count < Self.maxHeldCommands else {
                            try await send(421, "Too many commands sent during a transfer; closing the connection.")
                            return false
                        }
                        held.append(line)
                    }
                }
                return true
            }

            try await send(220, "Strata FTP: the archive, read-only.")
            eventLoop: for await event in events {
                switch event {
                case .input(let buf):
                    for item in decoder.feed(buf.readableBytesView) {
                        guard case .line(let line) = item else {
                            try await send(500, "Line too long.")
                            break eventLoop
                        }
                        let secureBefore = session.controlSecure
                        guard try await perform(session.handle(FTPCommand(line: line)), line: line) else { break eventLoop }
                        // After AUTH TLS the rest of this clear-text buffer is dropped.
                        if session.controlSecure != secureBefore { break }
                    }
                case .inputEnded:
                    break eventLoop
                case .loginDeadline:
                    if session.user == nil {
                        try await send(421, "Login timeout: closing the connection.")
                        break eventLoop
                    }
                case .transferEnded(let result, let sent, let seconds):
                    let outcome: FTPSession.TransferOutcome = aborting ? .aborted : result
                    if let r = running, r.progress.kind == .retrieve, outcome == .completed {
                        config.stats.served(bytes: sent)
                        logger.info("FTP RETR", metadata: [
                            "user": "\(session.user ?? "?")", "peer": "\(peerIP ?? "?")", "path": "\(r.progress.path)", "bytes": "\(sent)",
                            "seconds": "\(String(format: "%.3f", seconds))",
                        ])
                    }
                    running = nil
                    aborting = false
                    idle?.setTransferring(false)
                    guard try await perform(session.transferEnded(outcome), line: "") else { break eventLoop }
                    if idle?.closeAfterTransfer == true {
                        try await send(421, "Server shutting down.")
                        break eventLoop
                    }
                    // Commands that came during the transfer, in order, until one starts the next.
                    while !held.isEmpty && !session.transferring {
                        let line = held.removeFirst()
                        guard try await perform(session.handle(FTPCommand(line: line)), line: line) else { break eventLoop }
                    }
                }
            }
        }
    }
}
