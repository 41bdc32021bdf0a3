/// One SMTP reply: a three-digit code and its text lines (RFC 5321 4.2).
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { code >= 200 && code < 400 }
    public var isTransient: Bool { code >= 400 && code < 500 }
    public var isPermanent: Bool { code >= 500 }
    public var description: String { "\(code) " + lines.joined(separator: " / ") }

    /// EHLO keywords, upper-cased, with their parameters (`AUTH` → `["PLAIN", "LOGIN"]`).
    public var extensions: [String: [String]] {
        var out: [String: [String]] = [:]
        for l in lines.dropFirst() {
            let words = l.split(separator: " ").map(String.init)
            guard let k = words.first else { continue }
            out[k.uppercased()] = words.dropFirst().map { $0.uppercased() }
        }
        return out
    }
}

/// Cuts the server's byte stream into replies. Lines end in CRLF (a bare LF is accepted);
/// `250-` continues a reply, `250 ` ends it.
public struct SMTPReplyDecoder: Sendable {
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case tooLong
        public var description: String {
            switch self {
            case .malformed(let l): "the server sent a line that is not an SMTP reply: \"\(l.prefix(80))\""
            case .tooLong: "the server sent a reply line longer than 4 KB"
            }
        }
    }

    private var buffer: [UInt8] = []
    private var pending: (code: Int, lines: [String])?

    public init() {}

    /// Forgets bytes not yet read: after STARTTLS everything the server sent in clear text
    /// before the handshake is discarded (RFC 3207 4.2).
    public mutating func discardBuffered() {
        buffer.removeAll()
        pending = nil
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(DecodeError) -> [SMTPReply] {
        buffer.append(contentsOf: bytes)
        var replies: [SMTPReply] = []
        while let nl = buffer.firstIndex(of: 10) {
            var lineBytes = buffer[..<nl]
            if lineBytes.last == 13 { lineBytes = lineBytes.dropLast() }
            let line = String(decoding: lineBytes, as: UTF8.self)
            buffer.removeSubrange(...nl)
            let u = Array(line.utf8)
            // RFC 5321 4.2: a reply code is 2yz to 5yz; anything else (a 635 found by the fuzzer)
            // is not SMTP, and must not be read as a permanent failure or a success.
            guard u.count >= 3, u[0...2].allSatisfy({ $0 >= 48 && $0 <= 57 }), let code = Int(String(line.prefix(3))),
                (200...599).contains(code), u.count == 3 || u[3] == 32 || u[3] == 45
            else { throw .malformed(line) }
            let text = u.count > 4 ? String(line.dropFirst(4)) : ""
            if var p = pending {
                guard p.code == code else { throw .malformed(line) }
                p.lines.append(text)
                pending = p
            } else {
                pending = (code, [text])
            }
            if u.count == 3 || u[3] == 32, let p = pending {
                replies.append(SMTPReply(code: p.code, lines: p.lines))
                pending = nil
            }
        }
        if buffer.count > 4096 { throw .tooLong }
        return replies
    }
}
