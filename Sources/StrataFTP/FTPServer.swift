import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Settings of the FTP server (the `[ftp]` config section, or the demo's).
public struct FTPServerConfig: Sendable {
    public var listen: String
    public var port: Int
    /// Passive data ports; nil: any free port.
    public var passivePorts: ClosedRange<Int>?
    /// Address announced in 227 replies (NAT); nil: the control connection's local address.
    public var publicHost: String?
    public var root: String
    public var users: [FTPUser]
    public var maxClients: Int
    public var loginAttempts: Int
    public var idleTimeout: TimeAmount

    public init(listen: String, port: Int, passivePorts: ClosedRange<Int>? = nil, publicHost: String? = nil, root: String,
                users: [FTPUser], maxClients: Int = 200, loginAttempts: Int = 3, idleTimeout: TimeAmount = .minutes(5)) {
        self.listen = listen
        self.port = port
        self.passivePorts = passivePorts
        self.publicHost = publicHost
        self.root = root
        self.users = users
        self.maxClients = maxClients
        self.loginAttempts = loginAttempts
        self.idleTimeout = idleTimeout
    }
}

public struct FTPUser: Sendable {
    public var name: String
    /// Folder inside the served tree ("" for all of it).
    public var home: String
    let check: @Sendable (String) -> Bool

    public init(name: String, home: String, check: @escaping @Sendable (String) -> Bool) {
        self.name = name
        self.home = home
        self.check = check
    }
}

/// The FTP server as a service: a control connection per client, each in its own child task
/// (one client's error never reaches another), passive and active data connections opened
/// per transfer, files streamed in chunks.
public struct FTPServer: Service, CustomStringConvertible {
    public let config: FTPServerConfig
    let logger: Logger
    let onBound: @Sendable (Int) -> Void

    public var description: String { "FTPServer(\(config.listen):\(config.port))" }

    public init(config: FTPServerConfig, logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.config = config
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .bind(host: config.listen, port: config.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? config.port
        logger.notice("FTP server listening", metadata: ["address": "\(config.listen):\(port)", "root": "\(config.root)"])
        onBound(port)
        let clients = ManagedAtomicCounter()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await client in inbound {
                        group.addTask {
                            guard clients.increment() <= config.maxClients else {
                                clients.decrement()
                                try? await client.executeThenClose { _, out in
                                    try await out.write(ByteBuffer(string: "421 Too many clients, try again later.\r\n"))
                                }
                                return
                            }
                            defer { clients.decrement() }
                            await FTPConnection(config: config, logger: logger, client: client).run()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }
}

/// A small lock-protected counter of connected clients.
final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { value += 1; return value } }
    func decrement() { lock.withLock { value -= 1 } }
}
