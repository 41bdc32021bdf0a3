import Foundation
import NIOCore

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
