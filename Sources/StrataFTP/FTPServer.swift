import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
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
    public var maxPerIP: Int
    public var loginAttempts: Int
    public var idleTimeout: TimeAmount
    /// Explicit FTPS (AUTH TLS); nil: plain FTP only.
    public var tls: NIOSSLContext?
    public var requireTLS: Bool
    /// A second port where TLS starts with the first byte (implicit FTPS); needs `tls`.
    public var implicitTLSPort: Int?
    /// A client that has not logged in by then gets 421 and is closed.
    public var loginTimeout: TimeAmount = .seconds(60)
    /// A data connection that takes nothing for this long is closed (426).
    public var dataTimeout: TimeAmount = .seconds(60)
    /// A TLS data connection must resume a session of this server (`require_tls_resumption`),
    /// or the transfer gets 522.
    public var requireTLSResumption = false
    /// Counts what every connection of this server sends.
    public let stats = FTPStats()

    public init(listen: String, port: Int, passivePorts: ClosedRange<Int>? = nil, publicHost: String? = nil, root: String,
                users: [FTPUser], maxClients: Int = 200, maxPerIP: Int = 20, loginAttempts: Int = 3, idleTimeout: TimeAmount = .minutes(5),
                tls: NIOSSLContext? = nil, requireTLS: Bool = false) {
        self.tls = tls
        self.requireTLS = requireTLS
        self.listen = listen
        self.port = port
        self.passivePorts = passivePorts
        self.publicHost = publicHost
        self.root = root
        self.users = users
        self.maxClients = maxClients
        self.maxPerIP = maxPerIP
        self.loginAttempts = loginAttempts
        self.idleTimeout = idleTimeout
    }
}

extension FTPServerConfig {
    /// A server TLS context from PEM files, with errors that name the file.
    public static func tlsContext(certificate: String, key: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificate) } catch {
            throw FTPConfigError.badFile(certificate, "not a PEM certificate (\(error))")
        }
        let privateKey: NIOSSLPrivateKey
        do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
            throw FTPConfigError.badFile(key, "not a PEM private key (\(error))")
        }
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        c.minimumTLSVersion = .tlsv12
        do { return try NIOSSLContext(configuration: c) } catch {
            throw FTPConfigError.badFile(certificate, "the certificate and key do not make a TLS context (\(error))")
        }
    }
}

public enum FTPConfigError: Error, CustomStringConvertible {
    case badFile(String, String)

    public var description: String {
        switch self {
        case .badFile(let f, let m): "\(f): \(m)"
        }
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
    let onBoundImplicit: @Sendable (Int) -> Void

    public var description: String { "FTPServer(\(config.listen):\(config.port))" }

    public init(config: FTPServerConfig, logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in },
                onBoundImplicit: @escaping @Sendable (Int) -> Void = { _ in }) {
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
        logger.notice("FTP server listening", metadata: [
            "address": "\(config.listen):\(port)", "root": "\(config.root)",
            "implicit_tls": "\(listeners.count > 1 ? String(listeners[1].0.channel.localAddress?.port ?? 0) : "off")",
        ])
        onBound(port)
        if listeners.count > 1 { onBoundImplicit(listeners[1].0.channel.localAddress?.port ?? 0) }
        let clients = ClientCounter()
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
                                        if let refusal = clients.admit(ip, max: config.maxClients, perIP: config.maxPerIP) {
                                            logger.notice("FTP client refused", metadata: ["peer": "\(ip)", "reason": "\(refusal)"])
                                            try? await client.executeThenClose { _, out in
                                                try await out.write(ByteBuffer(string: "421 \(refusal), try again later.\r\n"))
                                            }
                                            return
                                        }
                                        defer { clients.leave(ip) }
                                        await FTPConnection(config: config, logger: logger, client: client, limiter: limiter, implicitTLS: implicit).run()
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let served = config.stats.snapshot
            logger.notice("FTP server stopped", metadata: ["bytes_served": "\(served.bytes)", "files_served": "\(served.files)"])
        } onGracefulShutdown: {
            // No new clients; idle ones are told and closed, transfers finish first.
            for s in servers { s.channel.close(promise: nil) }
            registry.shutDown()
        }
    }

    /// A listening socket; with `implicitTLS`, TLS from the first byte (FTPS on port 990 style).
    func bind(port: Int, implicitTLS: NIOSSLContext?, registry: ConnectionRegistry) async throws
        -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
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

/// Connected clients, in all and per address, so one host cannot take every slot.
final class ClientCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var byIP: [String: Int] = [:]

    /// nil when admitted; otherwise why not.
    func admit(_ ip: String, max: Int, perIP: Int) -> String? {
        lock.withLock {
            if total >= max { return "Too many clients" }
            if byIP[ip, default: 0] >= perIP { return "Too many connections from your address" }
            total += 1
            byIP[ip, default: 0] += 1
            return nil
        }
    }

    func leave(_ ip: String) {
        lock.withLock {
            total -= 1
            byIP[ip, default: 1] -= 1
            if byIP[ip] == 0 { byIP[ip] = nil }
        }
    }
}

/// Password checks are slow on purpose (scrypt): no more run at once than there are cores,
/// the rest wait their turn, so a login storm costs time, not memory.
actor CheckLimiter {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { free = permits }

    func acquire() async {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Closes a control connection that sent nothing for the idle timeout, except while a
/// transfer runs (the control connection is quiet then by design).
final class IdleCloser: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let lock = NSLock()
    private var busy = false
    private var stopping = false

    func setTransferring(_ on: Bool) { lock.withLock { busy = on } }

    /// Set when the server shuts down during a transfer: the connection ends after its 226.
    var closeAfterTransfer: Bool { lock.withLock { stopping } }

    /// Graceful shutdown: an idle connection is closed now (421), a busy one after its transfer.
    func shutDown(_ channel: Channel) {
        let idleNow = lock.withLock { () -> Bool in
            stopping = true
            return !busy
        }
        guard idleNow else { return }
        channel.eventLoop.execute {
            let bye = channel.allocator.buffer(string: "421 Server shutting down.\r\n")
            channel.writeAndFlush(bye).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? IdleStateHandler.IdleStateEvent, e == .read, !lock.withLock({ busy }) {
            let bye = context.channel.allocator.buffer(string: "421 Idle timeout, closing the connection.\r\n")
            let channel = context.channel
            context.writeAndFlush(NIOAny(bye)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// The open control connections, for graceful shutdown.
final class ConnectionRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [ObjectIdentifier: (Channel, IdleCloser)] = [:]
    private var stopping = false

    func add(_ channel: Channel, _ closer: IdleCloser) {
        let id = ObjectIdentifier(channel)
        let late = lock.withLock { () -> Bool in
            open[id] = (channel, closer)
            return stopping
        }
        channel.closeFuture.whenComplete { [weak self] _ in self?.remove(id) }
        if late { closer.shutDown(channel) }
    }

    private func remove(_ id: ObjectIdentifier) { lock.withLock { _ = open.removeValue(forKey: id) } }

    func shutDown() {
        let all = lock.withLock { () -> [(Channel, IdleCloser)] in
            stopping = true
            return Array(open.values)
        }
        for (channel, closer) in all { closer.shutDown(channel) }
    }
}

/// What a server has served since it started (for the log and STAT).
public final class FTPStats: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: Int64 = 0
    private var files: Int64 = 0

    public init() {}

    func served(bytes n: Int64) {
        lock.withLock {
            bytes += n
            files += 1
        }
    }

    /// Bytes of files sent (RETR) and how many transfers sent them.
    public var snapshot: (bytes: Int64, files: Int64) { lock.withLock { (bytes, files) } }
}
