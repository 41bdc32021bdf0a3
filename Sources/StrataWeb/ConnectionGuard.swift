import Foundation
import NIOCore
import NIOHTTPTypes
import StrataCore

/// Sits behind the HTTP decoder of every connection: refuses a connection over the limits at
/// once, and closes one that does not send a complete request head in time (slowloris), idles
/// between requests too long, or holds one request open too long.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Timeouts: Sendable {
        /// From connect (or the end of the last response) to a complete request head.
        var head: TimeAmount = .seconds(10)
        /// From a request head to the end of its response (a year of CSV on a slow link).
        var request: TimeAmount = .seconds(300)
    }

    let counter: ConnectionSlots
    let timeouts: Timeouts
    private var address: String?
    private var deadline: Scheduled<Void>?

    init(counter: ConnectionSlots, timeouts: Timeouts) {
        self.counter = counter
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let a = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard counter.admit(a) == nil else {
            context.close(promise: nil)
            return
        }
        address = a
        arm(context, timeouts.head)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    private func release() {
        deadline?.cancel()
        deadline = nil
        if let a = address {
            counter.leave(a)
            address = nil
        }
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
        deadline?.cancel()
        let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: after) { ctx.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { arm(context, timeouts.request) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, timeouts.head) }
        context.write(data, promise: promise)
    }
}
