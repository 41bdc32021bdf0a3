import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import StrataCore

/// The FTP server as a service: a control connection per client, each in its own child task
/// (one client's error never reaches another), passive and active data connections opened
/// per transfer, files streamed in chunks.
public struct FTPServer: Service, CustomStringConvertible {
    public let config: FTPServerConfig
    let logger: Logger
    let onBound: @Sendable (Int) -> Void
    let onBoundImplicit: @Sendable (Int) -> Void

    public var description: String { "FTPServer(\(config.listen):\(config.port))" }

    public init(
        config: FTPServerConfig, logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in },
        onBoundImplicit: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.config = config
        self.logger = logger
        self.onBound = onBound
        self.onBoundImplicit = onBoundImplicit
    }

    public func run() async throws {
        let registry = ConnectionRegistry()
        var listeners = [(try await bind(port: config.port, implicitTLS: nil, registry: registry), false)]
        if let p = config.implicitTLSPort, let ctx = config.tls {
            listeners.append((try await bind(port: p, implicitTLS: ctx, registry: registry), true))
        }
        let port = listeners[0].0.channel.localAddress?.port ?? config.port
        logger.notice(
            "FTP server listening",
            metadata: [
                "address": "\(config.listen):\(port)", "root": "\(config.root)",
                "implicit_tls":
                    "\(listeners.count > 1 ? String(listeners[1].0.channel.localAddress?.port ?? 0) : "off")",
            ])
        onBound(port)
        if listeners.count > 1 { onBoundImplicit(listeners[1].0.channel.localAddress?.port ?? 0) }
        let clients = ConnectionSlots(max: config.maxClients, perAddress: config.maxPerIP)
        let limiter = CheckLimiter(permits: max(1, ProcessInfo.processInfo.activeProcessorCount))
        let servers = listeners.map(\.0)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { outer in
                for (server, implicit) in listeners {
                    outer.addTask {
                        try await withThrowingDiscardingTaskGroup { group in
                            try await server.executeThenClose { inbound in
                                for try await client in inbound {
                                    group.addTask {
                                        let ip = client.channel.remoteAddress?.ipAddress ?? "?"
                                        if let refusal = clients.admit(ip) {
                                            logger.notice(
                                                "FTP client refused",
                                                metadata: ["peer": "\(ip)", "reason": "\(refusal)"])
                                            try? await client.executeThenClose { _, out in
                                                try await out.write(
                                                    ByteBuffer(string: "421 \(refusal), try again later.\r\n"))
                                            }
                                            return
                                        }
                                        defer { clients.leave(ip) }
                                        Counter(label: "strata_ftp_connections_total").increment()
                                        await FTPConnection(
                                            config: config, logger: logger, client: client, limiter: limiter,
                                            implicitTLS: implicit
                                        ).run()
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let served = config.stats.snapshot
            logger.notice(
                "FTP server stopped", metadata: ["bytes_served": "\(served.bytes)", "files_served": "\(served.files)"])
        } onGracefulShutdown: {
            // No new clients; idle ones are told and closed, transfers finish first.
            for s in servers { s.channel.close(promise: nil) }
            registry.shutDown()
        }
    }

    /// A listening socket; with `implicitTLS`, TLS from the first byte (FTPS on port 990 style).
    func bind(port: Int, implicitTLS: NIOSSLContext?, registry: ConnectionRegistry) async throws
        -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // Clients send ABOR as TCP urgent data (Python's ftplib): keep that byte in the stream,
            // or "ABOR\r\n" arrives without its "\n".
            .childChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_OOBINLINE)), value: 1)
            .bind(host: config.listen, port: port) { [idle = config.idleTimeout] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: implicitTLS))
                    }
                    let closer = IdleCloser()
                    try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: idle), closer])
                    registry.add(channel, closer)
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
