import Foundation
import Logging
import NIOCore
import NIOSSL

extension FTPConnection {
    /// The state of one control connection between events: the session (what the protocol
    /// means), the line decoder, and the I/O of its data connections. Each session action is a
    /// method; the connection's loop only hands events in. Lives inside `serve`'s task group
    /// and is never shared with its child tasks.
    final class Control {
        let connection: FTPConnection
        var session: FTPSession
        var decoder = FTPLineDecoder()
        let out: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let sink: AsyncStream<Event>.Continuation
        let idle: IdleCloser?
        var passive: (listener: Channel, own: AsyncStream<Channel>)?
        var running: (data: Channel, progress: Progress)?

        init(
            connection: FTPConnection, session: FTPSession, out: NIOAsyncChannelOutboundWriter<ByteBuffer>,
            sink: AsyncStream<Event>.Continuation, idle: IdleCloser?
        ) {
            self.connection = connection
            self.session = session
            self.out = out
            self.sink = sink
            self.idle = idle
        }

        var config: FTPServerConfig { connection.config }
        var logger: Logger { connection.logger }

        func closePassive() {
            passive?.listener.close(promise: nil)
            passive = nil
        }

        /// The connection is over: its listener and any running transfer are closed.
        func end() {
            closePassive()
            running?.data.close(promise: nil)
        }

        /// One event of the loop; false when the connection is to end.
        func handle(_ event: Event, group: inout ThrowingTaskGroup<Void, any Error>) async throws -> Bool {
            switch event {
            case .input(let buf):
                for item in decoder.feed(buf.readableBytesView) {
                    guard case .line(let line) = item else {
                        _ = try await perform(session.lineTooLong(), group: &group)
                        return false
                    }
                    let secureBefore = session.controlSecure
                    guard try await perform(session.handle(FTPCommand(line: line)), group: &group) else { return false }
                    // After AUTH TLS the rest of this clear-text buffer is dropped.
                    if session.controlSecure != secureBefore { break }
                }
                return true
            case .inputEnded:
                return false
            case .loginDeadline:
                return try await perform(session.loginDeadlinePassed(), group: &group)
            case .transferEnded(let result, let sent, let seconds):
                return try await transferEnded(result, sent: sent, seconds: seconds, group: &group)
            }
        }

        /// Performs a session's actions, and the session's answers to them; false when the
        /// connection is to end.
        func perform(_ first: [FTPSession.Action], group: inout ThrowingTaskGroup<Void, any Error>) async throws
            -> Bool
        {
            var actions = first
            while !actions.isEmpty {
                switch actions.removeFirst() {
                case .reply(let code, let text):
                    try await out.write(ByteBuffer(string: "\(code) \(text)\r\n"))
                case .replyLines(let code, let lines):
                    try await out.write(ByteBuffer(string: Self.multiline(code, lines)))
                case .close: return false
                case .startTLS: try await startTLS()
                case .verify(let user, let password):
                    actions = session.loginResult(try await verify(user, password)) + actions
                case .openPassive:
                    closePassive()
                    passive = await connection.listenPassive(group: &group)
                    actions = session.passiveOpened(port: passive.map { $0.listener.localAddress?.port ?? 0 }) + actions
                case .closePassive:
                    closePassive()
                case .transfer(let t, let channel):
                    switch try await transfer(t, over: channel, group: &group) {
                    case .started: break
                    case .failed(let more): actions = more + actions
                    case .connectionEnds: return false
                    }
                case .abortTransfer:
                    running?.data.close(promise: nil)
                case .transferStatus:
                    try await transferStatus()
                }
            }
            return true
        }

        static func multiline(_ code: Int, _ lines: [String]) -> String {
            var text = ""
            for (i, l) in lines.enumerated() {
                text += i == 0 ? "\(code)-\(l)\r\n" : i == lines.count - 1 ? "\(code) \(l)\r\n" : "\(l)\r\n"
            }
            return text
        }

        func startTLS() async throws {
            guard let ctx = config.tls else { return }
            let ch = connection.client.channel
            // 234 goes out in clear, then TLS sits next to the socket before the client's hello
            // can be read: both on the event loop, in that order.
            try await ch.eventLoop.flatSubmit {
                ch.writeAndFlush(ByteBuffer(string: "234 AUTH TLS successful.\r\n")).flatMapThrowing {
                    try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx), position: .first)
                }
            }.get()
            session.tlsStarted()
            // Anything sent in clear after AUTH is dropped (no command injection).
            decoder = FTPLineDecoder()
        }

        func verify(_ user: String, _ password: String) async throws -> Bool {
            var ok = false
            if let u = config.users.first(where: { $0.name == user }) {
                // The check runs here, outside the limiter: up to `cores` at once.
                await connection.limiter.acquire()
                ok = u.check(password)
                await connection.limiter.release()
            }
            if !ok {
                // A delay after each failure slows guessing down.
                try await Task.sleep(for: .seconds(1))
                logger.notice(
                    "FTP login failed", metadata: ["user": "\(user)", "peer": "\(connection.peerIP ?? "?")"])
            }
            return ok
        }

        enum TransferStart {
            case started
            /// The session's answer to a data connection that could not be used.
            case failed([FTPSession.Action])
            case connectionEnds
        }

        /// Connects the data channel, opens what is sent, and streams it in a child task that
        /// reports its end as an event.
        func transfer(
            _ t: FTPSession.Transfer, over channel: FTPSession.DataChannel,
            group: inout ThrowingTaskGroup<Void, any Error>
        ) async throws -> TransferStart {
            let data = await connection.connect(channel, passive: passive)
            closePassive()
            guard let data else { return .failed(session.dataFailed(.noConnection)) }
            guard let prepared = connection.open(t) else {
                data.close(promise: nil)
                return .failed(session.dataFailed(.cannotOpenFile))
            }
            guard try await perform(session.transferOpened(t, bytes: prepared.progress.total), group: &group) else {
                return .connectionEnds
            }
            let resumption: TLSResumptionCheck?
            do {
                resumption = try await connection.prepareData(data, tls: session.protectData)
            } catch {
                prepared.abandon(data)
                return .failed(session.dataFailed(.notSecured))
            }
            session.transferStarted()
            idle?.setTransferring(true)
            running = (data, prepared.progress)
            let (tls, sink, connection) = (session.protectData, sink, connection)
            group.addTask { [resumption] in
                let started = Date()
                let outcome = await connection.stream(prepared, over: data, tls: tls, resumption: resumption)
                sink.yield(
                    .transferEnded(outcome, sent: prepared.progress.sent, seconds: Date().timeIntervalSince(started)))
            }
            return .started
        }

        func transferStatus() async throws {
            guard let r = running else { return }
            try await out.write(
                ByteBuffer(
                    string:
                        "213-Status: sending \(r.progress.path)\r\n \(r.progress.sent) of \(r.progress.total) bytes sent\r\n213 End of status\r\n"
                ))
        }

        func transferEnded(
            _ result: FTPSession.TransferOutcome, sent: Int64, seconds: Double,
            group: inout ThrowingTaskGroup<Void, any Error>
        ) async throws -> Bool {
            if let r = running, r.progress.kind == .retrieve, result == .completed, !session.aborting {
                config.stats.served(bytes: sent)
                logger.info(
                    "FTP RETR",
                    metadata: [
                        "user": "\(session.user ?? "?")", "peer": "\(connection.peerIP ?? "?")",
                        "path": "\(r.progress.path)", "bytes": "\(sent)",
                        "seconds": "\(String(format: "%.3f", seconds))",
                    ])
            }
            running = nil
            idle?.setTransferring(false)
            guard try await perform(session.transferEnded(result), group: &group) else { return false }
            if idle?.closeAfterTransfer == true {
                _ = try await perform(session.shuttingDown(), group: &group)
                return false
            }
            // Commands that came during the transfer, in order, until one starts the next.
            while let actions = session.nextHeld() {
                guard try await perform(actions, group: &group) else { return false }
            }
            return true
        }
    }
}
