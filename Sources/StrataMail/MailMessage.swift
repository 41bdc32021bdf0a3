import StrataCore

/// A file attached to a message.
public struct MailAttachment: Sendable, Equatable {
    /// ASCII only: Outlook and phones show anything else inconsistently.
    public var filename: String
    public var contentType: String
    public var data: [UInt8]

    public init(filename: String, contentType: String, data: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}

/// An e-mail as RFC 5322 and MIME (RFC 2045–2047) describe it: a plain-text and an HTML
/// alternative, attachments. Rendering is pure: the same message renders to the same bytes.
public struct MailMessage: Sendable, Equatable {
    public var from: String
    public var fromName: String?
    public var to: [String]
    public var subject: String
    /// Seconds since 1970 (UTC) and the offset the Date header is written in.
    public var date: Int64
    public var utcOffset: Int
    /// Without angle brackets: `report.2026-10@strata.example.org`.
    public var messageID: String
    public var text: String
    public var html: String?
    public var attachments: [MailAttachment]

    public init(
        from: String, fromName: String? = nil, to: [String], subject: String, date: Int64, utcOffset: Int = 0,
        messageID: String, text: String, html: String? = nil, attachments: [MailAttachment] = []
    ) {
        self.from = from
        self.fromName = fromName
        self.to = to
        self.subject = subject
        self.date = date
        self.utcOffset = utcOffset
        self.messageID = messageID
        self.text = text
        self.html = html
        self.attachments = attachments
    }

    /// The message in wire form: CRLF line ends, no line longer than 998 octets.
    public func render() -> [UInt8] {
        var out: [UInt8] = []
        func line(_ s: String) {
            out += Array(s.utf8)
            out += [13, 10]
        }
        let sender = fromName.map { MIMEEncoding.displayName($0) + " <\(from)>" } ?? from
        line("From: " + sender)
        line("To: " + to.joined(separator: ",\r\n "))
        line("Subject: " + MIMEEncoding.headerValue(subject))
        line("Date: " + MailMessage.rfc5322Date(date, offset: utcOffset))
        line("Message-ID: <\(messageID)>")
        line("MIME-Version: 1.0")
        line("X-Mailer: Strata")
        let seed = messageID
        let alternative = MailMessage.boundary("alt", seed)
        func textParts() {
            if let html {
                line("Content-Type: multipart/alternative; boundary=\"\(alternative)\"")
                line("")
                line("--" + alternative)
                textPart("plain", text)
                line("--" + alternative)
                textPart("html", html)
                line("--" + alternative + "--")
            } else {
                textPart("plain", text)
            }
        }
        func textPart(_ sub: String, _ body: String) {
            line("Content-Type: text/\(sub); charset=utf-8")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            out += MIMEEncoding.quotedPrintable(body)
            line("")
        }
        if attachments.isEmpty {
            textParts()
        } else {
            let mixed = MailMessage.boundary("mix", seed)
            line("Content-Type: multipart/mixed; boundary=\"\(mixed)\"")
            line("")
            line("This is a multi-part message in MIME format.")
            line("--" + mixed)
            textParts()
            for a in attachments {
                line("--" + mixed)
                line("Content-Type: \(a.contentType); name=\"\(a.filename)\"")
                line("Content-Transfer-Encoding: base64")
                line("Content-Disposition: attachment; filename=\"\(a.filename)\"")
                line("")
                out += MIMEEncoding.base64Lines(a.data)
            }
            line("--" + mixed + "--")
        }
        return out
    }

    /// A boundary that cannot occur in the parts: quoted-printable always encodes "=", and
    /// base64 has no "_".
    static func boundary(_ kind: String, _ seed: String) -> String {
        let digest = SHA256.hex(Array((kind + seed).utf8)).prefix(16)
        return "=_strata_\(kind)_\(digest)"
    }

    /// `Sun, 22 Nov 2026 08:00:00 +0100`.
    public static func rfc5322Date(_ t: Int64, offset: Int) -> String {
        let local = LocalDateTime(secondsSinceEpoch: t + Int64(offset))
        let d = local.date
        let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let s = local.secondOfDay
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let sign = offset < 0 ? "-" : "+"
        let o = abs(offset) / 60
        return
            "\(days[d.isoWeekday - 1]), \(d.day) \(months[d.month - 1]) \(d.year) \(two(s / 3600)):\(two(s / 60 % 60)):\(two(s % 60)) \(sign)\(two(o / 60))\(two(o % 60))"
    }
}
