import Foundation
import NIOCore
import NIOHTTPTypes

/// Open connections in all and per address: one host (a scanner, a stuck script, 10,000 idle
/// sockets) cannot take the slots every other client needs.
final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var byAddress: [String: Int] = [:]
    let max: Int
    let perAddress: Int

    init(max: Int, perAddress: Int) {
        self.max = max
        self.perAddress = perAddress
    }

    func admit(_ address: String) -> Bool {
        lock.withLock {
            guard total < max, byAddress[address, default: 0] < perAddress else { return false }
            total += 1
            byAddress[address, default: 0] += 1
            return true
        }
    }

    func leave(_ address: String) {
        lock.withLock {
            total -= 1
            byAddress[address, default: 1] -= 1
            if byAddress[address] == 0 { byAddress[address] = nil }
        }
    }

    var open: Int { lock.withLock { total } }
}

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

    let counter: ConnectionCounter
    let timeouts: Timeouts
    private var address: String?
    private var deadline: Scheduled<Void>?

    init(counter: ConnectionCounter, timeouts: Timeouts) {
        self.counter = counter
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let a = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard counter.admit(a) else {
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
