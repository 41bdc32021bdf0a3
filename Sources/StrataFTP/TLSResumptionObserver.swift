import NIOCore
import NIOSSL
import NIOTLS

/// Reads the hellos of a data connection's TLS handshake as they pass (it sits next to the
/// socket, before `NIOSSLServerHandler`) and tells, once the handshake is done, whether it
/// resumed a session. Bytes pass through untouched.
final class TLSResumptionObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var state = TLSResumption()
    private let handshake: EventLoopPromise<Void>
    private var settled = false

    init(handshake: EventLoopPromise<Void>) {
        self.handshake = handshake
    }

    var verdict: TLSResumption.Verdict { state.verdict }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if state.verdict == .pending { state.clientBytes(unwrapInboundIn(data).readableBytesView) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if state.verdict == .pending { state.serverBytes(unwrapOutboundIn(data).readableBytesView) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.failure(ChannelError.ioOnClosedChannel))
        context.fireChannelInactive()
    }

    /// Called by `TLSHandshakeSignal`, which sits after the TLS handler and sees its events.
    func handshakeEnded(_ result: Result<Void, any Error>) { settle(result) }

    private func settle(_ result: Result<Void, any Error>) {
        guard !settled else { return }
        settled = true
        handshake.completeWith(result)
    }
}

/// Passes the TLS handler's "handshake completed" (or its failure) to the observer.
final class TLSHandshakeSignal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let observer: TLSResumptionObserver

    init(_ observer: TLSResumptionObserver) {
        self.observer = observer
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? TLSUserEvent, case .handshakeCompleted = e { observer.handshakeEnded(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        observer.handshakeEnded(.failure(error))
        context.fireErrorCaught(error)
    }
}

/// What the transfer task asks of a data connection that must resume its TLS session.
struct TLSResumptionCheck: Sendable {
    let handshake: EventLoopFuture<Void>
    let verdict: @Sendable () -> EventLoopFuture<TLSResumption.Verdict>

    /// Sets the handlers up around the TLS handler just added at the front of `data`'s pipeline.
    static func install(on data: Channel) -> EventLoopFuture<TLSResumptionCheck> {
        data.eventLoop.submit {
            let promise = data.eventLoop.makePromise(of: Void.self)
            let observer = TLSResumptionObserver(handshake: promise)
            let ops = data.pipeline.syncOperations
            let tls = try ops.handler(type: NIOSSLServerHandler.self)
            try ops.addHandler(observer, position: .before(tls))
            try ops.addHandler(TLSHandshakeSignal(observer), position: .after(tls))
            let bound = NIOLoopBound(observer, eventLoop: data.eventLoop)
            return TLSResumptionCheck(
                handshake: promise.futureResult,
                verdict: {
                    data.eventLoop.submit { bound.value.verdict }
                })
        }
    }

    /// Nil when the handshake completed and resumed a session; otherwise how the transfer ends.
    func failure() async -> FTPSession.TransferOutcome? {
        do {
            try await handshake.get()
        } catch {
            return .failed
        }
        return (try? await verdict().get()) == .resumed ? nil : .sessionNotResumed
    }
}
