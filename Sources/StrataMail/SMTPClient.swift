import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Where and how to reach the mail server.
public struct SMTPServer: Sendable {
    public var host: String
    public var port: Int
    public var security: SMTPSecurity
    public var credentials: SMTPCredentials?
    /// An extra PEM trust anchor (a company CA or the server's self-signed certificate).
    public var caFile: String?
    /// Seconds to wait for each reply (the end of DATA waits at least 10 minutes, RFC 5321).
    public var timeout: Int
    /// The name this client gives in EHLO.
    public var clientName: String

    public init(
        host: String, port: Int, security: SMTPSecurity, credentials: SMTPCredentials? = nil, caFile: String? = nil,
        timeout: Int = 120, clientName: String = "strata.localdomain"
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.caFile = caFile
        self.timeout = timeout
        self.clientName = clientName
    }
}

/// Delivers envelopes over one SMTP session on SwiftNIO: the state machine decides, this
/// adapter moves bytes, puts TLS in place and keeps the per-command timeouts.
public enum SMTPClient {
    public struct Result: Sendable {
        /// One outcome per envelope, in order.
        public var outcomes: [SMTPOutcome]
        /// Why the session ended early, if it did.
        public var error: SMTPError?
    }

    public static func deliver(
        _ envelopes: [SMTPEnvelope], to server: SMTPServer,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async -> Result {
        let machine = SMTPClientStateMachine(
            clientName: server.clientName, security: server.security, credentials: server.credentials,
            envelopes: envelopes)
        func failedAll(_ e: SMTPError) -> Result {
            Result(outcomes: envelopes.map { _ in .temporary(e.description) }, error: e)
        }
        var tls: NIOSSLContext?
        if server.security != .none {
            do {
                var config = TLSConfiguration.makeClientConfiguration()
                config.minimumTLSVersion = .tlsv12
                if let ca = server.caFile { config.additionalTrustRoots = [.file(ca)] }
                tls = try NIOSSLContext(configuration: config)
            } catch {
                return failedAll(.tls("cannot set up TLS (ca_file \(server.caFile ?? "-")): \(error)"))
            }
        }
        // Host names are verified against the certificate; an IP literal is verified by address.
        let isIP = (try? SocketAddress(ipAddress: server.host, port: 0)) != nil
        let sni = isIP ? nil : server.host
        let loop = group.next()
        let promise = loop.makePromise(of: SMTPClientStateMachine.self)
        let implicit = server.security == .tls
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(30))
            .channelInitializer { [tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicit, let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: sni))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPClientHandler(
                            machine: machine, promise: promise, tls: tls, serverHostname: sni, timeout: server.timeout))
                }
            }
        do {
            _ = try await bootstrap.connect(host: server.host, port: server.port).get()
        } catch {
            promise.fail(error)
            return failedAll(.connect("\(server.host):\(server.port): \(error)"))
        }
        do {
            let done = try await promise.futureResult.get()
            return Result(outcomes: done.outcomes.map { $0 ?? .temporary("not attempted") }, error: done.error)
        } catch {
            return failedAll(.connect("\(error)"))
        }
    }
}

final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: SMTPClientStateMachine
    private var decoder = SMTPReplyDecoder()
    private let promise: EventLoopPromise<SMTPClientStateMachine>
    private let tls: NIOSSLContext?
    private let serverHostname: String?
    private let timeout: Int
    private var timer: Scheduled<Void>?
    private var finished = false
    private var upgrading = false

    init(
        machine: SMTPClientStateMachine, promise: EventLoopPromise<SMTPClientStateMachine>, tls: NIOSSLContext?,
        serverHostname: String?, timeout: Int
    ) {
        self.machine = machine
        self.promise = promise
        self.tls = tls
        self.serverHostname = serverHostname
        self.timeout = timeout
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard !finished, let bytes = buffer.readBytes(length: buffer.readableBytes) else { return }
        do {
            for reply in try decoder.feed(bytes) {
                perform(machine.receive(reply), context)
                if finished { return }
            }
        } catch {
            lost(.protocolError(error.description), context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Only the STARTTLS upgrade waits for this; with implicit TLS the greeting follows the handshake anyway.
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e, !finished, upgrading {
            upgrading = false
            perform(machine.tlsEstablished(), context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let e = error as? NIOSSLError {
            lost(.tls("\(e)"), context)
        } else if let e = error as? BoringSSLError {
            lost(.tls("\(e)"), context)
        } else {
            lost(.protocolError("\(error)"), context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        lost(.protocolError("the server closed the connection during \(machine.stage)"), context)
        context.fireChannelInactive()
    }

    private func perform(_ actions: [SMTPClientStateMachine.Action], _ context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let bytes):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            case .startTLS:
                // RFC 3207 4.2: nothing the server sent before the handshake may be trusted.
                decoder.discardBuffered()
                upgrading = true
                do {
                    guard let tls else { throw SMTPError.tls("no TLS context") }
                    let handler = try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                    try context.pipeline.syncOperations.addHandler(handler, position: .first)
                } catch {
                    lost(.tls("\(error)"), context)
                    return
                }
            case .close:
                finish()
                context.close(promise: nil)
                return
            }
        }
        arm(context)
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        guard !finished else { return }
        let stage = machine.stage
        let seconds = machine.timeout(base: timeout)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            let (handler, context) = bound.value
            handler.lost(.timeout("\(stage), \(seconds) s"), context)
        }
    }

    private func lost(_ error: SMTPError, _ context: ChannelHandlerContext) {
        guard !finished else { return }
        machine.connectionLost(error)
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        promise.succeed(machine)
    }
}
