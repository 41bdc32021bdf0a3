import Foundation
import NIOCore

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
