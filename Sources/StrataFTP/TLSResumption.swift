/// Whether a TLS handshake resumed an earlier session, told from the clear-text hellos.
///
/// `require_tls_resumption` asks that a data connection resume the TLS session of its client
/// (as vsftpd's `require_ssl_reuse`): a stranger who guessed the passive port then cannot
/// take the data, as they hold no session of this server. swift-nio-ssl does not say whether a
/// handshake resumed, but the hellos do, and they travel in clear text:
/// - TLS 1.3: the server accepted a pre-shared key from a ticket iff its ServerHello carries
///   the `pre_shared_key` extension (RFC 8446 §4.2.11);
/// - TLS 1.2 and older: the server resumed iff it echoed the client's non-empty session id
///   (RFC 5246 §7.4.1.3; with tickets too, RFC 5077 §3.4).
///
/// Pure: fed the first bytes each way, no sockets. It stops looking once it has decided.
struct TLSResumption: Sendable, Equatable {
    enum Verdict: Sendable, Equatable {
        case pending
        case resumed
        /// A full handshake, or hellos that could not be read (never taken as resumed).
        case notResumed
    }

    private(set) var verdict: Verdict = .pending
    private var client = HandshakeStream()
    private var server = HandshakeStream()
    private var clientSessionID: [UInt8]?

    /// Bytes the client sent, in order, from the first.
    mutating func clientBytes(_ bytes: some Collection<UInt8>) {
        guard verdict == .pending, clientSessionID == nil else { return }
        client.feed(bytes)
        if client.broken {
            verdict = .notResumed
            return
        }
        guard let m = client.nextMessage() else { return }
        guard m.type == 1, let id = Self.sessionID(ofHello: m.body) else {
            verdict = .notResumed
            return
        }
        clientSessionID = id
        decide()
    }

    /// Bytes the server sent, in order, from the first.
    mutating func serverBytes(_ bytes: some Collection<UInt8>) {
        guard verdict == .pending else { return }
        server.feed(bytes)
        decide()
    }

    private mutating func decide() {
        while verdict == .pending {
            if server.broken {
                verdict = .notResumed
                return
            }
            // The TLS 1.2 rule compares with the client's session id: wait for it.
            guard clientSessionID != nil || !server.hasMessage else { return }
            guard let m = server.nextMessage() else { return }
            guard m.type == 2, let hello = ServerHello(m.body) else {
                verdict = .notResumed
                return
            }
            if hello.isRetryRequest { continue }
            if hello.tls13 {
                verdict = hello.extensions.contains(Self.preSharedKey) ? .resumed : .notResumed
            } else {
                verdict = !hello.sessionID.isEmpty && hello.sessionID == clientSessionID ? .resumed : .notResumed
            }
        }
    }

    static let preSharedKey: UInt16 = 41
    static let supportedVersions: UInt16 = 43
    /// RFC 8446 §4.1.3: a ServerHello with this random is a HelloRetryRequest.
    static let retryRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    /// The legacy session id of a ClientHello or ServerHello body.
    static func sessionID(ofHello b: [UInt8]) -> [UInt8]? {
        guard b.count >= 35 else { return nil }
        let n = Int(b[34])
        guard n <= 32, b.count >= 35 + n else { return nil }
        return Array(b[35..<(35 + n)])
    }

    struct ServerHello {
        var sessionID: [UInt8]
        var extensions: Set<UInt16> = []
        var tls13 = false
        var isRetryRequest: Bool

        init?(_ b: [UInt8]) {
            guard let id = TLSResumption.sessionID(ofHello: b) else { return nil }
            sessionID = id
            isRetryRequest = Array(b[2..<34]) == TLSResumption.retryRandom
            var i = 35 + id.count + 3 // cipher suite, compression method
            guard i <= b.count else { return nil }
            guard i + 2 <= b.count else { return } // no extensions at all (old servers)
            let end = i + 2 + (Int(b[i]) << 8 | Int(b[i + 1]))
            guard end <= b.count else { return nil }
            i += 2
            while i + 4 <= end {
                let type = UInt16(b[i]) << 8 | UInt16(b[i + 1])
                let len = Int(b[i + 2]) << 8 | Int(b[i + 3])
                guard i + 4 + len <= end else { return nil }
                extensions.insert(type)
                if type == TLSResumption.supportedVersions, len == 2, b[i + 4] == 3, b[i + 5] >= 4 { tls13 = true }
                i += 4 + len
            }
        }
    }
}

/// Handshake messages out of a stream of TLS records (RFC 8446 §5.1): records of other content
/// types (change_cipher_spec) are skipped; a message may span records.
struct HandshakeStream: Sendable, Equatable {
    private var raw: [UInt8] = []
    private var handshake: [UInt8] = []
    private(set) var broken = false
    /// Hellos are a few KB (post-quantum key shares included); more is not a hello.
    static let limit = 64 << 10

    mutating func feed(_ bytes: some Collection<UInt8>) {
        guard !broken else { return }
        raw.append(contentsOf: bytes)
        while raw.count >= 5 {
            let type = raw[0]
            let len = Int(raw[3]) << 8 | Int(raw[4])
            // An SSLv2-style hello or anything that is not a TLS record.
            guard (20...23).contains(type), raw[1] == 3, len <= 1 << 14 + 256 else {
                broken = true
                return
            }
            guard raw.count >= 5 + len else { break }
            if type == 22 { handshake.append(contentsOf: raw[5..<(5 + len)]) }
            // Application data: the hellos are over, whatever they were.
            if type == 23 && handshake.isEmpty {
                broken = true
                return
            }
            raw.removeFirst(5 + len)
        }
        if raw.count + handshake.count > Self.limit { broken = true }
    }

    var hasMessage: Bool {
        handshake.count >= 4
            && handshake.count >= 4 + (Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3]))
    }

    mutating func nextMessage() -> (type: UInt8, body: [UInt8])? {
        guard hasMessage else { return nil }
        let len = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
        let m = (handshake[0], Array(handshake[4..<(4 + len)]))
        handshake.removeFirst(4 + len)
        return m
    }
}
