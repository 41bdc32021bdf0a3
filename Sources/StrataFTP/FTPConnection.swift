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
            let control = Control(connection: self, session: session, out: out, sink: sink, idle: idle)
            defer {
                control.end()
                sink.finish()
                group.cancelAll()
            }
            guard try await control.perform(control.session.greeting(), group: &group) else { return }
            for await event in events {
                guard try await control.handle(event, group: &group) else { break }
            }
        }
    }
}
