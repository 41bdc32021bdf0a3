import Foundation

/// Content transfer encodings and header encodings of RFC 2045 and RFC 2047. Pure functions.
public enum MIMEEncoding {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Base64 of `bytes` on one line.
    public static func base64(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let a = it.next() {
            let b = it.next()
            let c = it.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 0x03) << 4 | (b ?? 0) >> 4)])
            out.append(b.map { alphabet[Int(($0 & 0x0F) << 2 | (c ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            out.append(c.map { alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 6.8).
    public static func base64Lines(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 4 / 3 + bytes.count / 38 + 4)
        var i = 0
        while i < bytes.count {
            let j = min(i + 57, bytes.count) // 57 bytes make 76 characters
            out += Array(base64(bytes[i..<j]).utf8)
            out += [13, 10]
            i = j
        }
        return out
    }

    /// Quoted-printable (RFC 2045 6.7) of UTF-8 text; line breaks become CRLF hard breaks and no
    /// encoded line is longer than 76 characters.
    public static func quotedPrintable(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        let lines = text.replacingLineBreaks().split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            var width = 0
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                let plain = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !last)
                // A line starting with "." or "From " is left to SMTP's dot-stuffing; "=" is always encoded.
                let piece: [UInt8] = plain ? [b] : [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 15)]]
                if width + piece.count > 75 {
                    out += [UInt8(ascii: "="), 13, 10]
                    width = 0
                }
                out += piece
                width += piece.count
            }
            if n < lines.count - 1 { out += [13, 10] }
        }
        return out
    }

    /// A header value as RFC 2047 encoded words when it is not plain ASCII; words are at most
    /// 75 characters and never split a UTF-8 character, folded onto continuation lines.
    public static func headerValue(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        // "=?UTF-8?B?" + "?=" is 12 characters: 45 bytes of text make 60 characters of base64.
        for ch in text {
            let b = Array(String(ch).utf8)
            if chunk.count + b.count > 45 {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk = []
            }
            chunk += b
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words.joined(separator: "\r\n ")
    }

    /// A display name as a quoted string or encoded words.
    public static func displayName(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) {
            return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return headerValue(name)
    }
}

extension String {
    /// CRLF and bare CR become LF.
    func replacingLineBreaks() -> String {
        var s = ""
        s.reserveCapacity(utf8.count)
        var lastCR = false
        for u in unicodeScalars {
            if u == "\r" {
                s.unicodeScalars.append("\n")
                lastCR = true
                continue
            }
            if u == "\n" && lastCR {
                lastCR = false
                continue
            }
            lastCR = false
            s.unicodeScalars.append(u)
        }
        return s
    }
}
