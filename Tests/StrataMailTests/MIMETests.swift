import Foundation
import Testing

@testable import StrataMail

@Suite struct MIMETests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64MatchesRFC4648(_ input: String, _ expected: String) {
        #expect(MIMEEncoding.base64(Array(input.utf8)) == expected)
    }

    @Test func base64LinesAre76Characters() {
        let data = (0..<1000).map { UInt8($0 % 256) }
        let text = String(decoding: MIMEEncoding.base64Lines(data), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n").dropLast()
        #expect(lines.dropLast().allSatisfy { $0.count == 76 })
        #expect(lines.joined() == MIMEEncoding.base64(data))
    }

    @Test func quotedPrintableKeepsLinesShortAndEncodesWhatMustBe() {
        let text = "Verbrauch = 12,5 m³ \n" + String(repeating: "abcdefghij", count: 20) + "\r\nend "
        let qp = String(decoding: MIMEEncoding.quotedPrintable(text), as: UTF8.self)
        let lines = qp.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(qp.hasPrefix("Verbrauch =3D 12,5 m=C2=B3=20\r\n"))
        #expect(qp.hasSuffix("end=20"))
        // Decoding: soft breaks removed, escapes resolved.
        #expect(
            decodeQP(qp)
                == text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func nonASCIISubjectBecomesEncodedWords() {
        let subject = "Monatsbericht Oktober – Verbrauch Gebäude Süd, Zähler Hauptverteilung und Küche"
        let v = MIMEEncoding.headerValue(subject)
        let words = v.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        let decoded = words.map { w -> [UInt8] in
            let b64 = w.dropFirst(10).dropLast(2)
            return decodeBase64(String(b64))
        }.flatMap { $0 }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
        #expect(MIMEEncoding.headerValue("Daily report") == "Daily report")
    }

    @Test func dateHeaderFollowsRFC5322() {
        // 2026-11-22 08:00:00 UTC is a Sunday.
        #expect(MailMessage.rfc5322Date(1_795_334_400, offset: 3600) == "Sun, 22 Nov 2026 09:00:00 +0100")
        #expect(MailMessage.rfc5322Date(1_795_334_400, offset: -8 * 3600) == "Sun, 22 Nov 2026 00:00:00 -0800")
    }

    @Test func messageHasBothAlternativesAndTheAttachment() {
        let m = MailMessage(
            from: "strata@example.org", fromName: "Strata", to: ["fm@example.org", "b@example.org"],
            subject: "Täglicher Bericht",
            date: 1_795_334_400, utcOffset: 0, messageID: "daily.2026-11-21@example.org", text: "Hello\n.\nWorld",
            html: "<p>Hello</p>",
            attachments: [
                MailAttachment(filename: "a.zip", contentType: "application/zip", data: Array(repeating: 7, count: 300))
            ])
        let s = String(decoding: m.render(), as: UTF8.self)
        #expect(s.contains("Message-ID: <daily.2026-11-21@example.org>\r\n"))
        #expect(s.contains("Content-Type: multipart/mixed;"))
        #expect(s.contains("Content-Type: multipart/alternative;"))
        #expect(s.contains("Content-Type: text/plain; charset=utf-8\r\n"))
        #expect(s.contains("Content-Type: text/html; charset=utf-8\r\n"))
        #expect(s.contains("Content-Disposition: attachment; filename=\"a.zip\"\r\n"))
        #expect(!s.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(m.render() == m.render())
    }
}

@Suite struct SMTPProtocolTests {
    @Test func dataIsDotStuffedAndNormalised() throws {
        let body = Array("line1\n.hidden\r\n..two\rlast".utf8)
        let out = try SMTPData.encode(body).get()
        #expect(String(decoding: out, as: UTF8.self) == "line1\r\n..hidden\r\n...two\r\nlast\r\n.\r\n")
    }

    @Test func overlongLineIsRefused() {
        let body = Array(String(repeating: "x", count: 999).utf8)
        guard case .failure(.lineTooLong(1)) = SMTPData.encode(body) else {
            Issue.record("expected lineTooLong")
            return
        }
    }

    @Test func multiLineRepliesAreJoined() throws {
        var d = SMTPReplyDecoder()
        #expect(try d.feed(Array("250-mail.example.org\r\n250-STARTTLS\r\n250-AUTH".utf8)).isEmpty)
        let r = try d.feed(Array(" PLAIN LOGIN\r\n250 8BITMIME\r\n220 ready\n".utf8))
        #expect(r.count == 2)
        #expect(r[0].code == 250)
        #expect(r[0].extensions["AUTH"] == ["PLAIN", "LOGIN"])
        #expect(r[0].extensions["STARTTLS"] == [])
        #expect(r[1] == SMTPReply(code: 220, lines: ["ready"]))
        #expect(throws: SMTPReplyDecoder.DecodeError.self) { _ = try d.feed(Array("hello\r\n".utf8)) }
    }

    /// Found by the fuzzer: codes outside 2yz-5yz are not SMTP replies (RFC 5321 4.2).
    @Test(arguments: ["635 2.7.0 ok", "199 hi", "000 x", "999-x"])
    func replyCodesOutsideTwoToFiveAreRefused(line: String) {
        var d = SMTPReplyDecoder()
        #expect(throws: SMTPReplyDecoder.DecodeError.self) { _ = try d.feed(Array((line + "\r\n").utf8)) }
    }

    static func envelope(_ to: String) -> SMTPEnvelope {
        SMTPEnvelope(from: "strata@example.org", to: to, message: Array("Subject: x\r\n\r\nbody\r\n".utf8))
    }

    func text(_ actions: [SMTPClientStateMachine.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .send(let b): String(decoding: b, as: UTF8.self)
            case .startTLS: "<starttls>"
            case .close: "<close>"
            }
        }
    }

    @Test func starttlsThenAuthPlainThenTwoMessages() {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .starttls, credentials: .init(username: "u", password: "p"),
            envelopes: [Self.envelope("a@x"), Self.envelope("b@x")])
        #expect(text(m.receive(.init(code: 220, lines: ["hi"]))) == ["EHLO box\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["x", "STARTTLS"]))) == ["STARTTLS\r\n"])
        #expect(text(m.receive(.init(code: 220, lines: ["go"]))) == ["<starttls>"])
        #expect(text(m.tlsEstablished()) == ["EHLO box\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["x", "AUTH LOGIN PLAIN"]))) == ["AUTH PLAIN AHUAcA==\r\n"])
        #expect(text(m.receive(.init(code: 235, lines: ["ok"]))) == ["MAIL FROM:<strata@example.org>\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["ok"]))) == ["RCPT TO:<a@x>\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["ok"]))) == ["DATA\r\n"])
        #expect(text(m.receive(.init(code: 354, lines: ["go"]))) == ["Subject: x\r\n\r\nbody\r\n.\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["queued"]))) == ["MAIL FROM:<strata@example.org>\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["ok"]))) == ["RCPT TO:<b@x>\r\n"])
        #expect(text(m.receive(.init(code: 550, lines: ["no such user"]))) == ["RSET\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["ok"]))) == ["QUIT\r\n"])
        #expect(text(m.receive(.init(code: 221, lines: ["bye"]))) == ["<close>"])
        #expect(m.outcomes == [.accepted("250 queued"), .permanent("RCPT TO: 550 no such user")])
        #expect(m.error == nil)
    }

    @Test func noStarttlsOfferedIsAFailureNotAFallback() {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .starttls, credentials: nil, envelopes: [Self.envelope("a@x")])
        _ = m.receive(.init(code: 220, lines: ["hi"]))
        #expect(text(m.receive(.init(code: 250, lines: ["x", "AUTH PLAIN"]))) == ["QUIT\r\n"])
        #expect(m.error == .tlsNotOffered)
        #expect(m.outcomes == [.temporary(SMTPError.tlsNotOffered.description)])
    }

    @Test func authIsNeverSentInClearText() {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .none, credentials: .init(username: "u", password: "p"),
            envelopes: [Self.envelope("a@x")])
        _ = m.receive(.init(code: 220, lines: ["hi"]))
        let out = text(m.receive(.init(code: 250, lines: ["x", "AUTH PLAIN"])))
        #expect(out == ["QUIT\r\n"])
        #expect(m.error == .authNeedsTLS)
    }

    @Test func authLoginAndWrongPassword() {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .tls, credentials: .init(username: "user", password: "pw"),
            envelopes: [Self.envelope("a@x")])
        _ = m.receive(.init(code: 220, lines: ["hi"]))
        #expect(text(m.receive(.init(code: 250, lines: ["x", "AUTH LOGIN"]))) == ["AUTH LOGIN\r\n"])
        #expect(text(m.receive(.init(code: 334, lines: ["VXNlcm5hbWU6"]))) == ["dXNlcg==\r\n"])
        #expect(text(m.receive(.init(code: 334, lines: ["UGFzc3dvcmQ6"]))) == ["cHc=\r\n"])
        #expect(text(m.receive(.init(code: 535, lines: ["5.7.8 bad credentials"]))) == ["QUIT\r\n"])
        #expect(m.error == .authFailed(.init(code: 535, lines: ["5.7.8 bad credentials"])))
    }

    @Test func ehloRefusedFallsBackToHeloOnPlainConnections() {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .none, credentials: nil, envelopes: [Self.envelope("a@x")])
        _ = m.receive(.init(code: 220, lines: ["hi"]))
        #expect(text(m.receive(.init(code: 502, lines: ["no"]))) == ["HELO box\r\n"])
        #expect(text(m.receive(.init(code: 250, lines: ["hi"]))) == ["MAIL FROM:<strata@example.org>\r\n"])
    }

    @Test(arguments: [(451, false), (552, true)])
    func replyAfterDataDecidesRetry(_ code: Int, _ permanent: Bool) {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .none, credentials: nil, envelopes: [Self.envelope("a@x")])
        for r in [220, 250, 250, 250, 354] { _ = m.receive(.init(code: r, lines: ["x"])) }
        _ = m.receive(.init(code: code, lines: ["try"]))
        if permanent {
            #expect(m.outcomes == [.permanent("\(code) try")])
        } else {
            #expect(m.outcomes == [.temporary("\(code) try")])
        }
    }

    @Test func droppedConnectionMakesTheRestTemporary() {
        var m = SMTPClientStateMachine(
            clientName: "box", security: .none, credentials: nil,
            envelopes: [Self.envelope("a@x"), Self.envelope("b@x")])
        for r in [220, 250, 250, 250, 354, 250, 250] { _ = m.receive(.init(code: r, lines: ["x"])) }
        m.connectionLost(.protocolError("closed"))
        #expect(m.outcomes[0] == .accepted("250 x"))
        #expect(m.outcomes[1] == .temporary(SMTPError.protocolError("closed").description))
    }
}

func decodeBase64(_ s: String) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var acc = 0
    var bits = 0
    for c in s.utf8 where c != UInt8(ascii: "=") {
        guard let v = alphabet.firstIndex(of: c) else { continue }
        acc = acc << 6 | v
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8((acc >> bits) & 0xFF))
        }
    }
    return out
}

func decodeQP(_ s: String) -> String {
    let joined = s.replacingOccurrences(of: "=\r\n", with: "")
    var out: [UInt8] = []
    let u = Array(joined.utf8)
    var i = 0
    while i < u.count {
        if u[i] == UInt8(ascii: "="), i + 2 < u.count,
            let v = UInt8(String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
        {
            out.append(v)
            i += 3
        } else {
            out.append(u[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}
