/// Splits the control connection's bytes into command lines: CRLF or a bare LF ends a line
/// (clients send both), a bare CR does not; Telnet IAC sequences (ABOR's "interrupt
/// process" prelude) are removed; a line longer than `maxLength` is an error, reported once.
public struct FTPLineDecoder: Sendable {
    public enum Output: Equatable, Sendable {
        case line(String)
        case tooLong
    }

    public let maxLength: Int
    private var buffer: [UInt8] = []
    private var iac = 0 // bytes of an IAC sequence still to skip
    private var overflowed = false

    public init(maxLength: Int = 4096) {
        self.maxLength = maxLength
    }

    /// Feeds bytes; returns the complete lines they finish.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Output] {
        var out: [Output] = []
        for b in bytes {
            if overflowed { continue }
            if iac > 0 {
                // IAC IAC is a literal 0xFF; IAC WILL/WONT/DO/DONT take one more byte.
                if iac == 2 && b == 0xFF {
                    iac = 0
                    continue
                }
                if iac == 2 && (0xFB...0xFE).contains(b) {
                    iac = 1
                    continue
                }
                iac = 0
                continue
            }
            if b == 0xFF {
                iac = 2
                continue
            }
            if b == 0x0A {
                if buffer.last == 0x0D { buffer.removeLast() }
                out.append(.line(String(decoding: buffer, as: UTF8.self)))
                buffer.removeAll(keepingCapacity: true)
                continue
            }
            buffer.append(b)
            if buffer.count > maxLength {
                overflowed = true
                buffer = []
                out.append(.tooLong)
            }
        }
        return out
    }
}

/// One command line: the verb in upper case and the argument as sent.
public struct FTPCommand: Equatable, Sendable {
    public var verb: String
    public var argument: String

    public init(verb: String, argument: String = "") {
        self.verb = verb
        self.argument = argument
    }

    public init(line: String) {
        let trimmed = line.drop { $0 == " " }
        if let sp = trimmed.firstIndex(of: " ") {
            verb = trimmed[..<sp].uppercased()
            argument = String(trimmed[trimmed.index(after: sp)...])
        } else {
            verb = trimmed.uppercased()
            argument = ""
        }
    }
}
