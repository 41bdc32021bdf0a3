import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One control connection: decodes lines, feeds the session, performs its actions.
struct FTPConnection {
    let config: FTPServerConfig
    let logger: Logger
    let client: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    let fs: ArchiveFileSystem
    let limiter: CheckLimiter

    init(config: FTPServerConfig, logger: Logger, client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, limiter: CheckLimiter) {
        self.limiter = limiter
        self.config = config
        self.logger = logger
        self.client = client
        fs = ArchiveFileSystem(root: config.root)
    }

    var peerIP: String? { client.channel.remoteAddress?.ipAddress }

    func run() async {
        do {
            try await client.executeThenClose { inbound, outbound in
                try await serve(inbound, outbound)
            }
        } catch {
            logger.debug("FTP connection ended", metadata: ["peer": "\(peerIP ?? "?")", "error": "\(error)"])
        }
    }

    func serve(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ out: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var homes: [String: VirtualPath] = [:]
        for u in config.users { homes[u.name] = VirtualPath.root.resolving(u.home) ?? .root }
        var session = FTPSession(fileSystem: fs, homes: homes, maxLoginAttempts: config.loginAttempts,
                                 tlsAvailable: config.tls != nil, requireTLS: config.requireTLS)
        var decoder = FTPLineDecoder()
        var passive: NIOAsyncChannel<Channel, Never>?
        var active: (host: String, port: Int)?
        func send(_ code: Int, _ text: String) async throws {
            try await out.write(ByteBuffer(string: "\(code) \(text)\r\n"))
        }
        defer { passive?.channel.close(promise: nil) }
        try await send(220, "Strata FTP: the archive, read-only.")
        for try await buf in inbound {
            itemLoop: for item in decoder.feed(buf.readableBytesView) {
                guard case .line(let line) = item else {
                    try await send(500, "Line too long.")
                    return
                }
                var actions = session.handle(FTPCommand(line: line))
                while !actions.isEmpty {
                    let a = actions.removeFirst()
                    switch a {
                    case .reply(let code, let text): try await send(code, text)
                    case .replyLines(let code, let lines):
                        var text = ""
                        for (i, l) in lines.enumerated() {
                            text += i == 0 ? "\(code)-\(l)\r\n" : i == lines.count - 1 ? "\(code) \(l)\r\n" : "\(l)\r\n"
                        }
                        try await out.write(ByteBuffer(string: text))
                    case .close: return
                    case .startTLS:
                        guard let ctx = config.tls else { continue }
                        let ch = client.channel
                        // 234 goes out in clear, then TLS sits next to the socket before the
                        // client's hello can be read: both on the event loop, in that order.
                        try await ch.eventLoop.flatSubmit {
                            ch.writeAndFlush(ByteBuffer(string: "234 AUTH TLS successful.\r\n")).flatMapThrowing {
                                try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx), position: .first)
                            }
                        }.get()
                        session.tlsStarted()
                        // Anything sent in clear after AUTH is dropped (no command injection).
                        decoder = FTPLineDecoder()
                        break itemLoop
                    case .verify(let user, let password):
                        var ok = false
                        if let u = config.users.first(where: { $0.name == user }) {
                            // The check runs here, outside the limiter: up to `cores` at once.
                            await limiter.acquire()
                            ok = u.check(password)
                            await limiter.release()
                        }
                        if !ok {
                            // A delay after each failure slows guessing down.
                            try await Task.sleep(for: .seconds(1))
                            logger.notice("FTP login failed", metadata: ["user": "\(user)", "peer": "\(peerIP ?? "?")"])
                        }
                        actions = session.loginResult(ok) + actions
                    case .openPassive(let extended):
                        passive?.channel.close(promise: nil)
                        passive = nil
                        active = nil
                        do {
                            let l = try await openPassive()
                            passive = l
                            let port = l.channel.localAddress?.port ?? 0
                            if extended {
                                try await send(229, "Entering Extended Passive Mode (|||\(port)|)")
                            } else {
                                let host = config.publicHost ?? client.channel.localAddress?.ipAddress ?? "127.0.0.1"
                                let h = host.split(separator: ".").joined(separator: ",")
                                try await send(227, "Entering Passive Mode (\(h),\(port >> 8),\(port & 255)).")
                            }
                        } catch {
                            try await send(425, "Cannot open a passive data connection.")
                        }
                    case .openActive(let host, let port):
                        passive?.channel.close(promise: nil)
                        passive = nil
                        // Data goes only back to the client's own address, never to a privileged port.
                        if host != peerIP || port < 1024 {
                            active = nil
                            try await send(504, "PORT/EPRT only to your own address and a port above 1023.")
                        } else {
                            active = (host, port)
                            try await send(200, "PORT command successful.")
                        }
                    case .transfer(let t):
                        let data: Channel?
                        if let l = passive {
                            data = try await accept(l)
                            passive = nil
                            l.channel.close(promise: nil)
                        } else if let a = active {
                            data = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                                .channelOption(.autoRead, value: false)
                                .connectTimeout(.seconds(10)).connect(host: a.host, port: a.port).get()
                            active = nil
                        } else {
                            data = nil
                        }
                        guard let data else {
                            try await send(425, "Cannot open the data connection.")
                            continue
                        }
                        let idle = try? await client.channel.pipeline.handler(type: IdleCloser.self).get()
                        idle?.setTransferring(true)
                        defer { idle?.setTransferring(false) }
                        if session.protectData, let ctx = config.tls {
                            do {
                                try await data.eventLoop.submit {
                                    try data.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ctx))
                                }.get()
                            } catch {
                                data.close(promise: nil)
                                try await send(425, "Cannot secure the data connection.")
                                continue
                            }
                        }
                        try? await data.setOption(.autoRead, value: true).get()
                        try await transfer(t, over: data, binary: session.binary, tls: session.protectData, send: send)
                        if idle?.closeAfterTransfer == true {
                            try await send(421, "Server shutting down.")
                            return
                        }
                    }
                }
            }
        }
    }

    func openPassive() async throws -> NIOAsyncChannel<Channel, Never> {
        let host = client.channel.localAddress?.ipAddress ?? config.listen
        let ports: [Int] = config.passivePorts.map { Array($0).shuffled() } ?? [0]
        var lastError: (any Error)?
        for p in ports.prefix(64) {
            do {
                // Data connections read nothing until TLS (if any) sits in their pipeline: a
                // client may send its TLS hello as soon as it connects.
                return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.backlog, value: 4)
                    .childChannelOption(.autoRead, value: false)
                    .bind(host: host, port: p) { ch in ch.eventLoop.makeSucceededFuture(ch) }
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ChannelError.ioOnClosedChannel
    }

    /// The first data connection from the client's own address; others are refused.
    func accept(_ listener: NIOAsyncChannel<Channel, Never>) async throws -> Channel? {
        try await withThrowingTaskGroup(of: Channel?.self) { group in
            group.addTask {
                try await listener.executeThenClose { inbound in
                    for try await ch in inbound {
                        if ch.remoteAddress?.ipAddress == peerIP { return ch }
                        ch.close(promise: nil)
                    }
                    return nil
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func transfer(_ t: FTPSession.Transfer, over data: Channel, binary: Bool, tls: Bool, send: (Int, String) async throws -> Void) async throws {
        switch t {
        case .list(let path, let style):
            let entries = fs.entry(path).map { $0.isDirectory ? (fs.list(path) ?? []) : [$0] } ?? []
            let now = Int64(Date().timeIntervalSince1970)
            let lines = entries.map { e -> String in
                switch style {
                case .long: ListingFormat.listLine(e, now: now)
                case .names: e.name
                case .facts: ListingFormat.mlsdFacts(e)
                }
            }
            try await send(150, "Here comes the listing.")
            let text = lines.map { $0 + "\r\n" }.joined()
            do {
                try await data.writeAndFlush(ByteBuffer(string: text)).get()
                try await data.close().get()
            } catch {
                try await send(426, "Data connection closed; transfer aborted.")
                return
            }
            try await send(226, "Listing sent.")
        case .retrieve(let path, let offset, let size):
            let disk = fs.diskPath(path)
            let fd = open(disk, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                data.close(promise: nil)
                try await send(550, "Cannot open the file.")
                return
            }
            // The kernel sends the file (sendfile): no copy through user space, no buffer per client.
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
            defer { try? handle.close() }
            // The size of the file opened: the archive writer may have replaced the path since SIZE.
            var st = stat()
            let size = fstat(fd, &st) == 0 ? Int64(st.st_size) : size
            let offset = min(offset, size)
            try await send(150, "Opening \(binary ? "BINARY" : "ASCII") mode data connection for \(path.name) (\(size - offset) bytes).")
            let started = Date()
            let sent = size - offset
            do {
                if sent > 0 && !tls {
                    try await data.writeAndFlush(FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(size))).get()
                } else if sent > 0 {
                    // TLS encrypts in user space: chunks, each written before the next is read.
                    var at = offset
                    var chunk = data.allocator.buffer(capacity: 1 << 16)
                    while at < size {
                        chunk.clear()
                        let n = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 16) { buf in
                            max(0, pread(fd, buf.baseAddress, min(buf.count, Int(size - at)), off_t(at)))
                        }
                        if n == 0 { break }
                        at += Int64(n)
                        try await data.writeAndFlush(chunk).get()
                    }
                }
                try await data.close().get()
            } catch {
                data.close(promise: nil)
                try await send(426, "Data connection closed; transfer aborted.")
                return
            }
            logger.info("FTP RETR", metadata: [
                "peer": "\(peerIP ?? "?")", "path": "\(path)", "bytes": "\(sent)",
                "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))",
            ])
            try await send(226, "Transfer complete.")
        }
    }
}
