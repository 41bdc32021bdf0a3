import StrataCore
import StrataStore

/// Reads a CSV (or gzipped CSV) of meter values into the store.
public struct Importer {
    public struct Options {
        public var timeColumn: String
        public var timeFormat: TimeFormat
        /// CSV column name → channel.
        public var mapping: [(column: String, channel: StoredChannel)]
        /// nil: detected from the header line.
        public var separator: UInt8?
        public var batchSize = 100_000

        public init(
            timeColumn: String, timeFormat: TimeFormat, mapping: [(column: String, channel: StoredChannel)],
            separator: UInt8? = nil
        ) {
            self.timeColumn = timeColumn
            self.timeFormat = timeFormat
            self.mapping = mapping
            self.separator = separator
        }
    }

    public struct Summary: Sendable {
        public var rows = 0
        public var values = 0
        public var badRows = 0
        public var tooOld = 0
        public var first: Int64?
        public var last: Int64?
        public var events = 0
    }

    public enum Failure: Error, CustomStringConvertible {
        case read(LineReader.Failure)
        case emptyFile(String)
        case missingColumn(String, available: [String])
        case store(StoreError)

        public var description: String {
            switch self {
            case .read(let f): f.description
            case .emptyFile(let p): "\(p) is empty: expected a header line with column names"
            case .missingColumn(let c, let a):
                "no column \"\(c)\" in the header; the file has: \(a.joined(separator: ", "))"
            case .store(let e): e.description
            }
        }
    }

    public let store: Store
    public let options: Options

    public init(store: Store, options: Options) {
        self.store = store
        self.options = options
    }

    /// Imports `path`; `badRow(line, reason)` hears of every row that was not stored.
    public func run(path: String, badRow: (Int, String) -> Void) throws(Failure) -> Summary {
        let reader: LineReader
        do { reader = try LineReader(path: path) } catch { throw .read(error) }
        let h = try header(reader, path: path)
        var summary = Summary()
        var batch: [Sample] = []
        batch.reserveCapacity(options.batchSize * max(h.columns.count, 1))
        func flush() throws(Failure) {
            guard !batch.isEmpty else { return }
            do {
                let r = try store.write(batch)
                summary.tooOld += r.tooOld
                summary.events += r.events.count
            } catch { throw .store(error) }
            batch.removeAll(keepingCapacity: true)
        }
        var fields: [ArraySlice<UInt8>] = []
        var rowSamples: [Sample] = []
        while true {
            let next: ArraySlice<UInt8>?
            do { next = try reader.next() } catch { throw .read(error) }
            guard let line = next else { break }
            if line.isEmpty { continue }
            CSVLine.split(line, separator: h.separator, into: &fields)
            let ts: Int64
            switch time(fields, h) {
            case .success(let t): ts = t
            case .failure(let why):
                summary.badRows += 1
                badRow(reader.lineNumber, why.text)
                continue
            }
            if let why = values(fields, h, at: ts, into: &rowSamples) {
                summary.badRows += 1
                badRow(reader.lineNumber, why)
                continue
            }
            summary.rows += 1
            summary.values += rowSamples.count
            summary.first = min(summary.first ?? ts, ts)
            summary.last = max(summary.last ?? ts, ts)
            batch.append(contentsOf: rowSamples)
            if batch.count >= options.batchSize { try flush() }
        }
        try flush()
        return summary
    }

    /// The file's first line: its separator, column names and the columns mapped.
    struct Header {
        var separator: UInt8
        var names: [String]
        var timeIndex: Int
        var columns: [(Int, StoredChannel)]
        /// A comma is a decimal separator when it is not the field separator (EU files).
        var decimalComma: Bool { separator != UInt8(ascii: ",") }
    }

    func header(_ reader: LineReader, path: String) throws(Failure) -> Header {
        var headerLine: ArraySlice<UInt8>?
        do { headerLine = try reader.next() } catch { throw .read(error) }
        guard var header = headerLine else { throw .emptyFile(path) }
        if header.starts(with: [0xEF, 0xBB, 0xBF]) { header = header.dropFirst(3) }
        let sep = options.separator ?? CSVLine.detectSeparator(header)
        let names = CSVLine.split(header, separator: sep).map { String(decoding: $0, as: UTF8.self).trimmingSpaces }
        guard let timeIdx = names.firstIndex(of: options.timeColumn) else {
            throw .missingColumn(options.timeColumn, available: names)
        }
        var cols: [(Int, StoredChannel)] = []
        for m in options.mapping {
            guard let i = names.firstIndex(of: m.column) else { throw .missingColumn(m.column, available: names) }
            cols.append((i, m.channel))
        }
        return Header(separator: sep, names: names, timeIndex: timeIdx, columns: cols)
    }

    /// Why a row is bad, as the user reads it.
    struct BadRow: Error {
        var text: String
    }

    /// A row's time as a UTC instant: parsed in the file's format, resolved in the site's
    /// zone when it has no offset, and plausible.
    func time(_ fields: [ArraySlice<UInt8>], _ h: Header) -> Result<Int64, BadRow> {
        guard h.timeIndex < fields.count else {
            return .failure(BadRow(text: "only \(fields.count) fields; the time column is number \(h.timeIndex + 1)"))
        }
        let zone = store.calendar.zone
        let tText = Substring(String(decoding: fields[h.timeIndex], as: UTF8.self).trimmingSpaces)
        guard let parsed = options.timeFormat.parse(tText) else {
            return .failure(BadRow(text: "time \"\(tText)\" does not match the format \(options.timeFormat)"))
        }
        let ts: Int64
        switch parsed {
        case .instant(let t): ts = t
        case .outOfRange: ts = Int64.min
        case .local(let l):
            switch zone.resolve(l) {
            case .unique(let t): ts = t
            case .repeated:
                return .failure(
                    BadRow(
                        text:
                            "local time \(l) happens twice in \(zone.identifier) (clocks go back); the file must give the UTC offset"
                    ))
            case .skipped:
                return .failure(
                    BadRow(text: "local time \(l) does not exist in \(zone.identifier) (clocks go forward)"))
            }
        }
        guard PlausibleTime.contains(ts) else {
            return .failure(BadRow(text: "time \"\(tText)\" is not \(PlausibleTime.describe)"))
        }
        return .success(ts)
    }

    /// A row's values at `ts` into `samples` (emptied first); why the row is bad, if it is.
    func values(_ fields: [ArraySlice<UInt8>], _ h: Header, at ts: Int64, into samples: inout [Sample]) -> String? {
        samples.removeAll(keepingCapacity: true)
        for (i, ch) in h.columns {
            guard i < fields.count else { continue }
            let f = fields[i]
            if f.isEmpty { continue }
            guard let v = CSVLine.number(f, decimalComma: h.decimalComma), v.isFinite else {
                return "column \"\(h.names[i])\": \"\(String(decoding: f, as: UTF8.self))\" is not a number"
            }
            guard ch.spec.resolution.accepts(v) else {
                return
                    "column \"\(h.names[i])\": \(String(decoding: f, as: UTF8.self)) is not a plausible reading (more than \(Resolution.maxSteps) steps of \(ch.spec.resolution) \(ch.spec.unit))"
            }
            samples.append(Sample(channel: ch.id, ts: ts, value: v))
        }
        return nil
    }
}

/// Splitting and number parsing for one CSV line.
public enum CSVLine {
    public static func detectSeparator(_ header: ArraySlice<UInt8>) -> UInt8 {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 9, UInt8(ascii: "|")]
        var best = candidates[0]
        var bestCount = 0
        for c in candidates {
            let n = header.reduce(0) { $0 + ($1 == c ? 1 : 0) }
            if n > bestCount {
                best = c
                bestCount = n
            }
        }
        return best
    }

    public static func split(_ line: ArraySlice<UInt8>, separator: UInt8) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        split(line, separator: separator, into: &out)
        return out
    }

    /// RFC 4180 fields; quoted fields come back without their quotes (doubled quotes kept
    /// doubled, which no number or time contains).
    public static func split(_ line: ArraySlice<UInt8>, separator: UInt8, into out: inout [ArraySlice<UInt8>]) {
        out.removeAll(keepingCapacity: true)
        var i = line.startIndex
        var fieldStart = i
        var quoted = false
        var inQuotes = false
        while i < line.endIndex {
            let c = line[i]
            if c == 34 {
                if i == fieldStart {
                    quoted = true
                    inQuotes = true
                } else if inQuotes {
                    inQuotes = false
                } else if quoted {
                    inQuotes = true
                }
            } else if c == separator && !inQuotes {
                out.append(trimQuotes(line[fieldStart..<i], quoted))
                fieldStart = i + 1
                quoted = false
            }
            i += 1
        }
        out.append(trimQuotes(line[fieldStart..<line.endIndex], quoted))
    }

    static func trimQuotes(_ f: ArraySlice<UInt8>, _ quoted: Bool) -> ArraySlice<UInt8> {
        var s = f
        while let l = s.first, l == 32 { s = s.dropFirst() }
        while let l = s.last, l == 32 { s = s.dropLast() }
        if quoted, s.count >= 2, s.first == 34, s.last == 34 { return s.dropFirst().dropLast() }
        return s
    }

    /// A decimal number with a dot, or a comma where commas are not field separators.
    public static func number(_ f: ArraySlice<UInt8>, decimalComma: Bool) -> Double? {
        if let v = fastNumber(f, decimalComma: decimalComma) { return v }
        if decimalComma, f.contains(44) {
            return Double(String(decoding: f.map { $0 == 44 ? 46 : $0 }, as: UTF8.self))
        }
        return Double(String(decoding: f, as: UTF8.self))
    }
}

private let exactPowers: [Double] = [
    1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
]

extension CSVLine {
    /// Plain decimals (`-123.456`) with at most 15 significant digits: one exact division by a
    /// power of ten gives the correctly rounded double, without allocating a String.
    @inline(__always)
    static func fastNumber(_ f: ArraySlice<UInt8>, decimalComma: Bool) -> Double? {
        var i = f.startIndex
        guard i < f.endIndex else { return nil }
        var neg = false
        if f[i] == 45 || f[i] == 43 {
            neg = f[i] == 45
            i += 1
        }
        var mantissa: Int64 = 0
        var digits = 0
        var fraction = 0
        var seenPoint = false
        while i < f.endIndex {
            let c = f[i]
            if c >= 48 && c <= 57 {
                mantissa = mantissa * 10 + Int64(c - 48)
                digits += 1
                if seenPoint { fraction += 1 }
                if digits > 15 { return nil }
            } else if (c == 46 || (decimalComma && c == 44)) && !seenPoint {
                seenPoint = true
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0, fraction < exactPowers.count else { return nil }
        let v = Double(mantissa) / exactPowers[fraction]
        return neg ? -v : v
    }
}
