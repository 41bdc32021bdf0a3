import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Data connections of a control connection: passive listeners, and streaming a listing or a
/// file over the connection the client opened.
extension FTPConnection {
    /// A transfer in progress, shared with the task that streams it.
    final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private var done: Int64 = 0
        let total: Int64
        let path: VirtualPath
        let kind: Kind
        enum Kind: Sendable { case list, retrieve }
        init(total: Int64, path: VirtualPath, kind: Kind) {
            self.total = total
            self.path = path
            self.kind = kind
        }
        var sent: Int64 { lock.withLock { done } }
        func add(_ n: Int64) { lock.withLock { done += n } }
    }

    func openPassive() async throws -> NIOAsyncChannel<Channel, Never> {
        let host = client.channel.localAddress?.ipAddress ?? config.listen
        var lastError: (any Error)?
        for p in Self.passiveCandidates(config.passivePorts) {
            do {
                // Data connections read nothing until TLS (if any) sits in their pipeline: a
                // client may send its TLS hello as soon as it connects.
                return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.backlog, value: 4)
                    // The server closes data connections first, so their ports sit in TIME_WAIT
                    // for a minute: without this, busy ranges run out of bindable ports (425).
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    // Data is bulk: Nagle on (NIO turns it off by default, and accepted sockets
                    // inherit that), so a sendfile's tail does not go out as a short segment.
                    // It cost 13 % of a 1 GB download against vsftpd; a listing's close flushes it.
                    .serverChannelOption(.tcpOption(.tcp_nodelay), value: 0)
                    .childChannelOption(.autoRead, value: false)
                    .bind(host: host, port: p) { [peer = peerIP] ch in
                        // Another address's connection is closed as it is accepted, not when (or
                        // if) the accept loop gets to it.
                        if ch.remoteAddress?.ipAddress != peer { ch.close(promise: nil) }
                        return ch.eventLoop.makeSucceededFuture(ch)
                    }
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ChannelError.ioOnClosedChannel
    }

    /// Up to 64 ports to try, from a random place in the range onwards. Shuffling the whole
    /// range instead drew one random number per port (a getrandom call each): with 3,000
    /// passive ports that was a quarter of the server's CPU with 200 clients transferring.
    static func passiveCandidates(_ range: ClosedRange<Int>?) -> [Int] {
        guard let r = range else { return [0] }
        let n = r.count
        let start = Int.random(in: 0..<n)
        return (0..<min(64, n)).map { r.lowerBound + (start + $0) % n }
    }

    /// A passive listener whose accepted connections are taken as they come: the client's own
    /// first one is kept for the transfer command, any other is closed at once (425 for it).
    /// Nil when no port of the range could be bound.
    func listenPassive(group: inout ThrowingTaskGroup<Void, any Error>) async -> (
        listener: Channel, own: AsyncStream<Channel>
    )? {
        guard let l = try? await openPassive() else { return nil }
        let (own, sink) = AsyncStream.makeStream(of: Channel.self)
        let peer = peerIP
        group.addTask {
            try? await l.executeThenClose { inbound in
                var delivered = false
                for try await ch in inbound {
                    if !delivered, ch.remoteAddress?.ipAddress == peer {
                        delivered = true
                        sink.yield(ch)
                    } else {
                        ch.close(promise: nil)
                    }
                }
            }
            sink.finish()
        }
        return (l.channel, own)
    }

    /// Puts TLS (when the session protects data) and the stall timeout on a data connection,
    /// then lets it read; returns the resumption check when `require_tls_resumption` is on.
    func prepareData(_ data: Channel, tls: Bool) async throws -> TLSResumptionCheck? {
        var resumption: TLSResumptionCheck?
        if tls, let ctx = config.tls {
            try await data.eventLoop.submit {
                try data.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx), position: .first)
            }.get()
            if config.requireTLSResumption { resumption = try await TLSResumptionCheck.install(on: data).get() }
        }
        // A client that stops taking data does not hold the transfer forever.
        let stall = config.dataTimeout
        try? await data.eventLoop.submit {
            try data.pipeline.syncOperations.addHandlers([IdleStateHandler(writeTimeout: stall), StallCloser()])
        }.get()
        try? await data.setOption(.autoRead, value: true).get()
        return resumption
    }

    /// The client's data connection, waited for up to 30 seconds.
    func firstConnection(_ own: AsyncStream<Channel>) async -> Channel? {
        await withTaskGroup(of: Channel?.self) { group in
            group.addTask {
                var it = own.makeAsyncIterator()
                return await it.next()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// What a transfer sends, opened and ready to stream.
    struct Prepared: Sendable {
        enum Body: Sendable {
            case text(String)
            case file(NIOFileHandle, offset: Int64, size: Int64)
        }
        let body: Body
        let progress: Progress

        /// Gives up a transfer before any byte went out: the file and the data connection close.
        func abandon(_ data: Channel) {
            if case .file(let handle, _, _) = body { try? handle.close() }
            data.close(promise: nil)
        }
    }

    /// Opens what a transfer sends; nil when the file cannot be opened.
    func open(_ t: FTPSession.Transfer) -> Prepared? {
        switch t {
        case .list(let path, let style):
            let entries = fs.entry(path).map { $0.isDirectory ? (fs.list(path) ?? []) : [$0] } ?? []
            let now = Int64(Date().timeIntervalSince1970)
            let text = entries.map { e -> String in
                switch style {
                case .long: ListingFormat.listLine(e, now: now)
                case .names: e.name
                case .facts: ListingFormat.mlsdFacts(e)
                }
            }.map { $0 + "\r\n" }.joined()
            return Prepared(
                body: .text(text), progress: Progress(total: Int64(text.utf8.count), path: path, kind: .list))
        case .retrieve(let path, let offset, let size):
            let fd = fs.openFile(path)
            guard fd >= 0 else { return nil }
            // The size of the file opened: the archive writer may have replaced the path since SIZE.
            var st = stat()
            let size = fstat(fd, &st) == 0 ? Int64(st.st_size) : size
            let offset = min(offset, size)
            return Prepared(
                body: .file(NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd), offset: offset, size: size),
                progress: Progress(total: size - offset, path: path, kind: .retrieve))
        }
    }

    /// The data connection of a transfer: the client's first connection to the passive
    /// listener, or ours to its address.
    func connect(_ channel: FTPSession.DataChannel, passive: (listener: Channel, own: AsyncStream<Channel>)?) async
        -> Channel?
    {
        switch channel {
        case .passive:
            guard let p = passive else { return nil }
            return await firstConnection(p.own)
        case .active(let host, let port):
            return try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.autoRead, value: false)
                .channelOption(.tcpOption(.tcp_nodelay), value: 0)
                .connectTimeout(.seconds(10)).connect(host: host, port: port).get()
        }
    }

    /// Streams a prepared transfer and closes the data connection: completed only once the
    /// data is flushed and the connection closed (then 226 may go out).
    func stream(_ p: Prepared, over data: Channel, tls: Bool, resumption: TLSResumptionCheck? = nil) async
        -> FTPSession.TransferOutcome
    {
        // Not a byte leaves before the handshake has shown the client resumed its session.
        if let check = resumption, let failure = await check.failure() {
            p.abandon(data)
            return failure
        }
        do {
            switch p.body {
            case .text(let text):
                try await data.writeAndFlush(ByteBuffer(string: text)).get()
                p.progress.add(Int64(text.utf8.count))
            case .file(let handle, let offset, let size):
                defer { try? handle.close() }
                var at = offset
                if !tls {
                    // The kernel sends the file (sendfile) in pieces: a stalled client is noticed
                    // (the data timeout counts from the last piece) and STAT can say how far it
                    // got. Pieces start at 1 MB and double while they go fast, so a fast client
                    // pays for few of them.
                    var piece: Int64 = 1 << 20
                    while at < size {
                        let end = min(size, at + piece)
                        let began = ContinuousClock.now
                        try await data.writeAndFlush(
                            FileRegion(fileHandle: handle, readerIndex: Int(at), endIndex: Int(end))
                        ).get()
                        p.progress.add(end - at)
                        at = end
                        if ContinuousClock.now - began < .milliseconds(250) { piece = min(piece * 2, 64 << 20) }
                    }
                } else {
                    // TLS encrypts in user space: chunks, each written before the next is read.
                    let fd = try handle.withUnsafeFileDescriptor { $0 }
                    var chunk = data.allocator.buffer(capacity: 1 << 16)
                    while at < size {
                        chunk.clear()
                        let n = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 16) { buf in
                            max(0, pread(fd, buf.baseAddress, min(buf.count, Int(size - at)), off_t(at)))
                        }
                        if n == 0 { break }
                        at += Int64(n)
                        try await data.writeAndFlush(chunk).get()
                        p.progress.add(Int64(n))
                    }
                }
            }
            try await data.close().get()
            return .completed
        } catch {
            data.close(promise: nil)
            return .failed
        }
    }
}

/// Closes a data connection whose client took nothing for the data timeout.
final class StallCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? IdleStateHandler.IdleStateEvent, e == .write {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
