/// A TOML value with the line it was written on, so config errors can point at it.
public struct TOMLNode: Sendable {
    public enum Value: Sendable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        case array([TOMLNode])
        case table(TOMLTable)
    }

    public var value: Value
    public var line: Int

    public var typeName: String {
        switch value {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .bool: "true or false"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML table that remembers key order and where each key was written.
public struct TOMLTable: Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: TOMLNode] = [:]
    public var line: Int

    public init(line: Int) { self.line = line }

    public subscript(key: String) -> TOMLNode? { values[key] }

    mutating func set(_ key: String, _ node: TOMLNode) {
        if values[key] == nil { keys.append(key) }
        values[key] = node
    }
}

/// A syntax error with its position.
public struct TOMLSyntaxError: Error, Sendable, Equatable {
    public var line: Int
    public var message: String
}

/// Reads the TOML that config files use: tables, arrays of tables, dotted keys, basic and
/// literal strings (single- and multi-line), integers, floats, booleans, arrays and inline
/// tables. Dates and times are not TOML values here: Strata writes them as strings.
public struct TOMLParser {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    /// Arrays and inline tables nest by recursion: bounded, so a file of 100,000 '[' is a
    /// clear error, not a stack overflow.
    private var depth = 0
    public static let maxDepth = 32

    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTable {
        var p = TOMLParser(bytes: Array(text.utf8))
        return try p.document()
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ msg: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, message: msg) }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipSpaces() {
        while let c = peek, c == 0x20 || c == 0x09 { i += 1 }
    }

    private mutating func skipComment() {
        if peek == UInt8(ascii: "#") { while let c = peek, c != 0x0A { i += 1 } }
    }

    /// Spaces, comments and newlines (inside arrays).
    private mutating func skipBlank() {
        while let c = peek {
            if c == 0x20 || c == 0x09 || c == 0x0D {
                i += 1
            } else if c == 0x0A {
                i += 1
                line += 1
            } else if c == UInt8(ascii: "#") {
                skipComment()
            } else {
                break
            }
        }
    }

    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipSpaces()
        skipComment()
        if peek == 0x0D { i += 1 }
        if let c = peek {
            guard c == 0x0A else { throw fail("unexpected '\(Character(UnicodeScalar(c)))' after value") }
            i += 1
            line += 1
        }
    }

    private mutating func document() throws(TOMLSyntaxError) -> TOMLTable {
        var root = TOMLTable(line: 1)
        var current: [PathStep] = []
        while true {
            skipBlank()
            guard let c = peek else { break }
            if c == UInt8(ascii: "[") {
                let headerLine = line
                i += 1
                let isArray = peek == UInt8(ascii: "[")
                if isArray { i += 1 }
                skipSpaces()
                let path = try keyPath()
                skipSpaces()
                guard peek == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
                i += 1
                if isArray {
                    guard peek == UInt8(ascii: "]") else {
                        throw fail("expected ']]' to close the array-of-tables header")
                    }
                    i += 1
                }
                try endOfLine()
                current = try Self.openTable(&root, path: path, array: isArray, line: headerLine)
            } else {
                let keyLine = line
                let path = try keyPath()
                skipSpaces()
                guard peek == UInt8(ascii: "=") else {
                    throw fail("expected '=' after key '\(path.joined(separator: "."))'")
                }
                i += 1
                skipSpaces()
                let v = try value()
                try endOfLine()
                try Self.insert(&root, at: current, key: path, node: v, line: keyLine)
            }
        }
        return root
    }

    enum PathStep {
        case key(String)
        case lastOf(String)
    }

    private static func openTable(_ root: inout TOMLTable, path: [String], array: Bool, line: Int)
        throws(TOMLSyntaxError) -> [PathStep]
    {
        var steps: [PathStep] = []
        for (n, k) in path.enumerated() {
            let last = n == path.count - 1
            let resolved = try withTable(&root, steps) { (t: inout TOMLTable) throws(TOMLSyntaxError) -> PathStep in
                if last && array {
                    var arr: [TOMLNode] = []
                    if let existing = t[k] {
                        guard case .array(let a) = existing.value else {
                            throw TOMLSyntaxError(
                                line: line,
                                message:
                                    "'\(k)' is already defined on line \(existing.line) and is not an array of tables")
                        }
                        arr = a
                    }
                    arr.append(TOMLNode(value: .table(TOMLTable(line: line)), line: line))
                    t.set(k, TOMLNode(value: .array(arr), line: t[k]?.line ?? line))
                    return .lastOf(k)
                }
                if let existing = t[k] {
                    switch existing.value {
                    case .table: return .key(k)
                    case .array(let a) where a.last.map({ if case .table = $0.value { true } else { false } }) == true:
                        return .lastOf(k)
                    default:
                        throw TOMLSyntaxError(
                            line: line,
                            message: "'\(k)' is already defined on line \(existing.line) as a value, not a table")
                    }
                }
                t.set(k, TOMLNode(value: .table(TOMLTable(line: line)), line: line))
                return .key(k)
            }
            steps.append(resolved)
        }
        return steps
    }

    private static func insert(_ root: inout TOMLTable, at steps: [PathStep], key: [String], node: TOMLNode, line: Int)
        throws(TOMLSyntaxError)
    {
        var s = steps
        for k in key.dropLast() {
            let step = try withTable(&root, s) { (t: inout TOMLTable) throws(TOMLSyntaxError) -> PathStep in
                if let e = t[k] {
                    guard case .table = e.value else {
                        throw TOMLSyntaxError(
                            line: line, message: "'\(k)' is already defined on line \(e.line) as a value")
                    }
                } else {
                    t.set(k, TOMLNode(value: .table(TOMLTable(line: line)), line: line))
                }
                return .key(k)
            }
            s.append(step)
        }
        guard let lastKey = key.last else { return }
        try withTable(&root, s) { (t: inout TOMLTable) throws(TOMLSyntaxError) in
            if let e = t[lastKey] {
                throw TOMLSyntaxError(
                    line: line, message: "key '\(lastKey)' is defined twice (first on line \(e.line))")
            }
            t.set(lastKey, node)
        }
    }

    /// Runs `body` on the table reached by `steps`, writing changes back.
    private static func withTable<R>(
        _ t: inout TOMLTable, _ steps: [PathStep], _ body: (inout TOMLTable) throws(TOMLSyntaxError) -> R
    ) throws(TOMLSyntaxError) -> R {
        guard let first = steps.first else { return try body(&t) }
        let rest = Array(steps.dropFirst())
        switch first {
        case .key(let k):
            guard let node = t[k], case .table(var sub) = node.value else { return try body(&t) }
            let r = try withTable(&sub, rest, body)
            t.set(k, TOMLNode(value: .table(sub), line: node.line))
            return r
        case .lastOf(let k):
            guard let node = t[k], case .array(var arr) = node.value, let lastNode = arr.last,
                case .table(var sub) = lastNode.value
            else { return try body(&t) }
            let r = try withTable(&sub, rest, body)
            arr[arr.count - 1] = TOMLNode(value: .table(sub), line: lastNode.line)
            t.set(k, TOMLNode(value: .array(arr), line: node.line))
            return r
        }
    }

    private mutating func keyPath() throws(TOMLSyntaxError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                parts.append(try basicString())
            } else if c == UInt8(ascii: "'") {
                parts.append(try literalString())
            } else {
                let start = i
                while let c = peek, isBareKey(c) { i += 1 }
                guard i > start else { throw fail("expected a key, found '\(Character(UnicodeScalar(c)))'") }
                parts.append(String(decoding: bytes[start..<i], as: UTF8.self))
            }
            skipSpaces()
            guard parts.count <= Self.maxDepth else { throw fail("a key with more than \(Self.maxDepth) dotted parts") }
            if peek == UInt8(ascii: ".") { i += 1 } else { return parts }
        }
    }

    private func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
    }

    private mutating func value() throws(TOMLSyntaxError) -> TOMLNode {
        let at = line
        guard let c = peek else { throw fail("expected a value") }
        let nests = c == UInt8(ascii: "[") || c == UInt8(ascii: "{")
        if nests {
            guard depth < Self.maxDepth else {
                throw fail("arrays and inline tables nested more than \(Self.maxDepth) deep")
            }
            depth += 1
        }
        defer { if nests { depth -= 1 } }
        switch c {
        case UInt8(ascii: "\""): return TOMLNode(value: .string(try basicString()), line: at)
        case UInt8(ascii: "'"): return TOMLNode(value: .string(try literalString()), line: at)
        case UInt8(ascii: "["):
            i += 1
            var items: [TOMLNode] = []
            while true {
                skipBlank()
                if peek == UInt8(ascii: "]") {
                    i += 1
                    break
                }
                items.append(try value())
                skipBlank()
                if peek == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                skipBlank()
                guard peek == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in array") }
                i += 1
                break
            }
            return TOMLNode(value: .array(items), line: at)
        case UInt8(ascii: "{"):
            i += 1
            var t = TOMLTable(line: at)
            skipSpaces()
            if peek == UInt8(ascii: "}") {
                i += 1
                return TOMLNode(value: .table(t), line: at)
            }
            while true {
                skipSpaces()
                let path = try keyPath()
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw fail("expected '=' in inline table") }
                i += 1
                skipSpaces()
                let v = try value()
                try Self.insert(&t, at: [], key: path, node: v, line: at)
                skipSpaces()
                if peek == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                guard peek == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in inline table") }
                i += 1
                return TOMLNode(value: .table(t), line: at)
            }
        default:
            let start = i
            while let c = peek, c != 0x20, c != 0x09, c != 0x0A, c != 0x0D, c != UInt8(ascii: ","),
                c != UInt8(ascii: "]"), c != UInt8(ascii: "}"), c != UInt8(ascii: "#")
            {
                i += 1
            }
            let word = String(decoding: bytes[start..<i], as: UTF8.self)
            if word == "true" { return TOMLNode(value: .bool(true), line: at) }
            if word == "false" { return TOMLNode(value: .bool(false), line: at) }
            let clean = word.replacingUnderscores
            if let n = Int64(clean) { return TOMLNode(value: .integer(n), line: at) }
            if clean.hasPrefix("0x"), let n = Int64(clean.dropFirst(2), radix: 16) {
                return TOMLNode(value: .integer(n), line: at)
            }
            if let d = Double(clean), clean.contains(where: { $0.isNumber }) {
                return TOMLNode(value: .float(d), line: at)
            }
            if word.isEmpty { throw fail("expected a value") }
            throw fail("'\(word)' is not a TOML value (text needs quotes: \"\(word)\")")
        }
    }

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        let multi = i + 2 < bytes.count && bytes[i + 1] == 0x22 && bytes[i + 2] == 0x22
        i += multi ? 3 : 1
        if multi && peek == 0x0A {
            i += 1
            line += 1
        }
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw fail("unterminated string") }
            if c == 0x22 {
                if !multi {
                    i += 1
                    break
                }
                if i + 2 < bytes.count && bytes[i + 1] == 0x22 && bytes[i + 2] == 0x22 {
                    i += 3
                    break
                }
            }
            if c == 0x0A {
                guard multi else { throw fail("unterminated string (a newline inside \"…\")") }
                line += 1
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard let e = peek else { throw fail("unterminated string") }
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "u") ? 4 : 8
                    guard i + n <= bytes.count,
                        let v = UInt32(String(decoding: bytes[i..<i + n], as: UTF8.self), radix: 16),
                        let sc = UnicodeScalar(v)
                    else { throw fail("bad \\u escape") }
                    out.append(contentsOf: Array(String(Character(sc)).utf8))
                    i += n
                default:
                    throw fail(
                        "unknown escape '\\\(Character(UnicodeScalar(e)))' (write \\\\ for a backslash, or use 'single quotes' for Windows paths)"
                    )
                }
                continue
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        let multi = i + 2 < bytes.count && bytes[i + 1] == 0x27 && bytes[i + 2] == 0x27
        i += multi ? 3 : 1
        let start = i
        while true {
            guard let c = peek else { throw fail("unterminated string") }
            if c == 0x27 {
                if !multi {
                    let s = String(decoding: bytes[start..<i], as: UTF8.self)
                    i += 1
                    return s
                }
                if i + 2 < bytes.count && bytes[i + 1] == 0x27 && bytes[i + 2] == 0x27 {
                    let s = String(decoding: bytes[start..<i], as: UTF8.self)
                    i += 3
                    return s
                }
            }
            if c == 0x0A {
                guard multi else { throw fail("unterminated string (a newline inside '…')") }
                line += 1
            }
            i += 1
        }
    }
}

extension String {
    var replacingUnderscores: String { String(self.filter { $0 != "_" }) }
}
