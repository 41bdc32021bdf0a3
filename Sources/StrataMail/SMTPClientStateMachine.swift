/// How the connection to the mail server is protected.
public enum SMTPSecurity: String, Sendable, CaseIterable {
    /// Plain connection upgraded with STARTTLS (RFC 3207), usually port 587.
    case starttls
    /// TLS from the first byte (RFC 8314), usually port 465.
    case tls
    /// No encryption; only when configured explicitly, and never with AUTH.
    case none

    public var defaultPort: Int {
        switch self {
        case .starttls: 587
        case .tls: 465
        case .none: 25
        }
    }
}

public struct SMTPCredentials: Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// One message to one recipient.
public struct SMTPEnvelope: Sendable, Equatable {
    public var from: String
    public var to: String
    /// The rendered message (CRLF line ends).
    public var message: [UInt8]

    public init(from: String, to: String, message: [UInt8]) {
        self.from = from
        self.to = to
        self.message = message
    }
}

/// What became of one envelope.
public enum SMTPOutcome: Sendable, Equatable {
    /// The server took responsibility for the message (final 250).
    case accepted(String)
    /// Try again later: a 4xx reply, a dropped connection, a timeout.
    case temporary(String)
    /// Never try again: a 5xx reply to this message.
    case permanent(String)
}

/// Why a session failed before or between messages. Messages not yet accepted are retried.
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    case connect(String)
    case timeout(String)
    case tls(String)
    case tlsNotOffered
    case authNeedsTLS
    case authNotOffered([String])
    case authFailed(SMTPReply)
    case unexpected(stage: String, reply: SMTPReply)
    case protocolError(String)
    case lineTooLong(Int)

    public var description: String {
        switch self {
        case .connect(let s): "cannot connect to the mail server: \(s)"
        case .timeout(let s): "the mail server did not answer in time (\(s))"
        case .tls(let s): "TLS with the mail server failed: \(s)"
        case .tlsNotOffered:
            "the mail server does not offer STARTTLS; set [smtp] security = \"tls\" for port 465, or \"none\" only on a trusted network"
        case .authNeedsTLS: "refusing to send the SMTP password over a connection without TLS"
        case .authNotOffered(let m):
            "the mail server offers no AUTH PLAIN or LOGIN (it offers: \(m.isEmpty ? "none" : m.joined(separator: " ")))"
        case .authFailed(let r): "the mail server refused the user name or password: \(r)"
        case .unexpected(let stage, let r): "unexpected reply to \(stage): \(r)"
        case .protocolError(let s): "the mail server broke the protocol: \(s)"
        case .lineTooLong(let n): "message line \(n) is longer than 998 octets"
        }
    }
}

/// The client side of an SMTP session (RFC 5321) as a state machine: replies and TLS events
/// in, bytes to send and TLS upgrades out. It knows no sockets; one session delivers any
/// number of envelopes, each recording its own outcome.
public struct SMTPClientStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        case send([UInt8])
        /// Put TLS under the connection now; call `tlsEstablished()` when the handshake is done.
        case startTLS
        /// The session is over (QUIT answered or a fatal error): close the connection.
        case close
    }

    enum State: Sendable, Equatable {
        case greeting, ehlo, helo, starttls, handshaking
        case authPlain, authLoginUser, authLoginPassword
        case mail, rcpt, data, dataEnd, rset, quit, done
    }

    public let clientName: String
    public let security: SMTPSecurity
    public let credentials: SMTPCredentials?
    public let envelopes: [SMTPEnvelope]
    public private(set) var outcomes: [SMTPOutcome?]
    public private(set) var error: SMTPError?
    private(set) var state: State = .greeting
    private var tlsActive: Bool
    private var current = 0
    private var body: [UInt8] = []

    public init(clientName: String, security: SMTPSecurity, credentials: SMTPCredentials?, envelopes: [SMTPEnvelope]) {
        self.clientName = clientName
        self.security = security
        self.credentials = credentials
        self.envelopes = envelopes
        self.outcomes = Array(repeating: nil, count: envelopes.count)
        self.tlsActive = security == .tls
    }

    public var isDone: Bool { state == .done }

    /// What the current command is, for timeouts and errors.
    public var stage: String {
        switch state {
        case .greeting: "greeting"
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .starttls, .handshaking: "STARTTLS"
        case .authPlain, .authLoginUser, .authLoginPassword: "AUTH"
        case .mail: "MAIL FROM"
        case .rcpt: "RCPT TO"
        case .data: "DATA"
        case .dataEnd: "end of DATA"
        case .rset: "RSET"
        case .quit: "QUIT"
        case .done: "closed"
        }
    }

    /// Seconds to wait for the reply to the current command (RFC 5321 4.5.3.2, shortened to
    /// `base` for most commands; the end of DATA keeps its longer wait).
    public func timeout(base: Int) -> Int {
        state == .dataEnd ? max(base, 600) : base
    }

    public mutating func receive(_ reply: SMTPReply) -> [Action] {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail(.unexpected(stage: "greeting", reply: reply)) }
            return ehlo()
        case .ehlo:
            if reply.code == 250 { return afterHello(reply.extensions) }
            if reply.isPermanent && !tlsActive && security == .none {
                state = .helo
                return [send("HELO \(clientName)")]
            }
            return fail(.unexpected(stage: "EHLO", reply: reply))
        case .helo:
            guard reply.code == 250 else { return fail(.unexpected(stage: "HELO", reply: reply)) }
            return afterHello([:])
        case .starttls:
            guard reply.code == 220 else { return fail(.unexpected(stage: "STARTTLS", reply: reply)) }
            state = .handshaking
            return [.startTLS]
        case .handshaking:
            return fail(.protocolError("the server spoke before the TLS handshake"))
        case .authPlain:
            guard reply.code == 235 else {
                return fail(reply.code == 334 ? .protocolError("unexpected AUTH challenge") : .authFailed(reply))
            }
            return nextEnvelope()
        case .authLoginUser:
            guard reply.code == 334, let c = credentials else { return fail(.authFailed(reply)) }
            state = .authLoginPassword
            return [send(MIMEEncoding.base64(Array(c.username.utf8)))]
        case .authLoginPassword:
            guard reply.code == 334, let c = credentials else { return fail(.authFailed(reply)) }
            state = .authPlain
            return [send(MIMEEncoding.base64(Array(c.password.utf8)))]
        case .mail:
            guard reply.code == 250 else { return reject(reply, "MAIL FROM") }
            state = .rcpt
            return [send("RCPT TO:<\(envelopes[current].to)>")]
        case .rcpt:
            guard reply.code == 250 || reply.code == 251 else { return reject(reply, "RCPT TO") }
            state = .data
            return [send("DATA")]
        case .data:
            guard reply.code == 354 else { return reject(reply, "DATA") }
            state = .dataEnd
            return [.send(body)]
        case .dataEnd:
            outcomes[current] =
                reply.code == 250
                ? .accepted(reply.description)
                : (reply.isPermanent ? .permanent(reply.description) : .temporary(reply.description))
            current += 1
            return nextEnvelope()
        case .rset:
            return nextEnvelope()
        case .quit:
            state = .done
            return [.close]
        case .done:
            return []
        }
    }

    public mutating func tlsEstablished() -> [Action] {
        guard state == .handshaking else { return fail(.protocolError("TLS established outside STARTTLS")) }
        tlsActive = true
        return ehlo()
    }

    /// The connection broke or timed out: every envelope without an outcome will be retried.
    public mutating func connectionLost(_ reason: SMTPError) {
        guard state != .done else { return }
        if error == nil && state != .quit { error = reason }
        for i in outcomes.indices where outcomes[i] == nil {
            outcomes[i] = .temporary((error ?? reason).description)
        }
        state = .done
    }

    // MARK: steps

    private mutating func ehlo() -> [Action] {
        state = .ehlo
        return [send("EHLO \(clientName)")]
    }

    private mutating func afterHello(_ ext: [String: [String]]) -> [Action] {
        if security == .starttls && !tlsActive {
            guard ext["STARTTLS"] != nil else { return fail(.tlsNotOffered) }
            state = .starttls
            return [send("STARTTLS")]
        }
        if let c = credentials {
            guard tlsActive else { return fail(.authNeedsTLS) }
            let mechanisms = ext["AUTH"] ?? []
            if mechanisms.contains("PLAIN") {
                state = .authPlain
                let token = MIMEEncoding.base64([0] + Array(c.username.utf8) + [0] + Array(c.password.utf8))
                return [send("AUTH PLAIN \(token)")]
            }
            if mechanisms.contains("LOGIN") {
                state = .authLoginUser
                return [send("AUTH LOGIN")]
            }
            return fail(.authNotOffered(mechanisms))
        }
        return nextEnvelope()
    }

    private mutating func nextEnvelope() -> [Action] {
        // A message that cannot be sent as it is will not get better on retry: skip it before
        // MAIL FROM, since once in DATA the only way out is to send it.
        while current < envelopes.count {
            switch SMTPData.encode(envelopes[current].message) {
            case .success(let b):
                body = b
            case .failure(let e):
                outcomes[current] = .permanent(e.description)
                current += 1
                continue
            }
            break
        }
        guard current < envelopes.count else {
            body = []
            state = .quit
            return [send("QUIT")]
        }
        state = .mail
        return [send("MAIL FROM:<\(envelopes[current].from)>")]
    }

    private mutating func reject(_ reply: SMTPReply, _ stage: String) -> [Action] {
        let text = "\(stage): \(reply)"
        outcomes[current] = reply.isPermanent ? .permanent(text) : .temporary(text)
        current += 1
        state = .rset
        return [send("RSET")]
    }

    private mutating func fail(_ e: SMTPError) -> [Action] {
        error = e
        for i in outcomes.indices where outcomes[i] == nil { outcomes[i] = .temporary(e.description) }
        // QUIT politely where the session is still in step; a broken one is just closed.
        if state == .greeting || state == .handshaking {
            state = .done
            return [.close]
        }
        state = .quit
        return [send("QUIT")]
    }

    private func send(_ line: String) -> Action { .send(Array((line + "\r\n").utf8)) }
}

/// The DATA body: CRLF line ends, dot-stuffing (RFC 5321 4.5.2), lines of at most 998 octets,
/// and the terminating `.` line.
public enum SMTPData {
    public static func encode(_ message: [UInt8]) -> Result<[UInt8], SMTPError> {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 8)
        var lineStart = true
        var lineLength = 0
        var lineNumber = 1
        var i = 0
        while i < message.count {
            let b = message[i]
            if b == 13 || b == 10 {
                out += [13, 10]
                if b == 13, i + 1 < message.count, message[i + 1] == 10 { i += 1 }
                lineStart = true
                lineLength = 0
                lineNumber += 1
            } else {
                if lineStart && b == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
                lineStart = false
                out.append(b)
                lineLength += 1
                if lineLength > 998 { return .failure(.lineTooLong(lineNumber)) }
            }
            i += 1
        }
        if !lineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return .success(out)
    }
}
