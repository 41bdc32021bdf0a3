import CZlib

/// Reads lines from a plain or gzip-compressed file in fixed-size chunks (zlib's `gzread`
/// passes plain files through), so a file of millions of rows needs bounded memory.
public final class LineReader {
    private let file: gzFile
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    public private(set) var lineNumber = 0

    public enum Failure: Error, CustomStringConvertible {
        case cannotOpen(String)
        case corrupt(String, String)

        public var description: String {
            switch self {
            case .cannotOpen(let p): "cannot open \(p) (does it exist, and may strata read it?)"
            case .corrupt(let p, let why): "\(p) cannot be read to the end: \(why)"
            }
        }
    }

    let path: String

    public init(path: String) throws(Failure) {
        guard let f = gzopen(path, "rb") else { throw .cannotOpen(path) }
        file = f
        self.path = path
        gzbuffer(f, 1 << 17)
    }

    deinit { gzclose(file) }

    /// The next line without its line ending, or nil at the end.
    public func next() throws(Failure) -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                var end = nl
                if end > start && buffer[end - 1] == 13 { end -= 1 }
                let line = buffer[start..<end]
                start = nl + 1
                lineNumber += 1
                return line
            }
            if eof {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 13 { end -= 1 }
                let line = buffer[start..<end]
                start = buffer.count
                lineNumber += 1
                return line
            }
            try fill()
        }
    }

    private func fill() throws(Failure) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 1 << 17
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        let n = buffer.withUnsafeMutableBytes { p -> Int32 in
            guard let base = p.baseAddress else { return -1 }
            return gzread(file, base + old, UInt32(chunk))
        }
        if n < 0 {
            var errnum: Int32 = 0
            let msg = String(cString: gzerror(file, &errnum))
            throw .corrupt(path, msg)
        }
        buffer.removeSubrange((old + Int(n))...)
        if n == 0 { eof = true }
    }
}
