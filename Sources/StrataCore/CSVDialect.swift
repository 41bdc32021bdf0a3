/// How a CSV file is spelled for its reader.
///
/// `iso` is for scripts (RFC 4180, comma, dot, ISO 8601 UTC column). The Excel dialects are
/// for spreadsheets: a BOM so accents survive, the offset as text (`UTC+01:00`) because a bare
/// `-08:00` becomes a negative time that Excel shows as ####.
public enum CSVDialect: String, CaseIterable, Sendable {
    case iso
    case excelEU = "excel-eu"
    case excelUS = "excel-us"

    public var separator: UInt8 {
        switch self {
        case .excelEU: UInt8(ascii: ";")
        case .iso, .excelUS: UInt8(ascii: ",")
        }
    }

    public var decimalSeparator: Character { self == .excelEU ? "," : "." }
    public var byteOrderMark: Bool { self != .iso }
    public var hasUTCColumn: Bool { self == .iso }

    public func offsetText(_ seconds: Int) -> String {
        self == .iso ? formatOffset(seconds) : "UTC" + formatOffset(seconds)
    }
}

/// Builds CSV bytes row by row into one buffer: no per-field allocations on the hot path.
public struct CSVWriter: Sendable {
    public let dialect: CSVDialect
    public private(set) var bytes: [UInt8] = []
    private var fieldInRow = false
    // Looked up once: they are needed for every cell of a rebuild.
    private let separator: UInt8
    private let decimalPoint: UInt8

    public init(dialect: CSVDialect, reserve: Int = 1 << 16) {
        self.dialect = dialect
        separator = dialect.separator
        decimalPoint = dialect.decimalSeparator.asciiValue ?? UInt8(ascii: ".")
        bytes.reserveCapacity(reserve)
    }

    public mutating func writeBOM() {
        if dialect.byteOrderMark { bytes.append(contentsOf: [0xEF, 0xBB, 0xBF]) }
    }

    /// A text field, quoted only when it has to be (RFC 4180).
    public mutating func field(_ text: String) {
        separatorIfNeeded()
        var needsQuotes = false
        for b in text.utf8 where b == separator || b == UInt8(ascii: "\"") || b == 10 || b == 13 {
            needsQuotes = true
            break
        }
        if needsQuotes {
            bytes.append(UInt8(ascii: "\""))
            for b in text.utf8 {
                if b == UInt8(ascii: "\"") { bytes.append(b) }
                bytes.append(b)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: text.utf8)
        }
    }

    /// A number given as steps at `decimals` places, in the dialect's decimal separator.
    public mutating func number(steps: Int64, decimals: Int) {
        separatorIfNeeded()
        appendDecimal(steps: steps, decimals: decimals)
    }

    public mutating func number(_ value: Double?, _ resolution: Resolution) {
        guard let v = value, v.isFinite else { return empty() }
        number(steps: resolution.steps(v), decimals: resolution.decimals)
    }

    public mutating func empty() { separatorIfNeeded() }

    /// `YYYY-MM-DD hh:mm:ss` (or with `T` and `Z` for ISO UTC) straight into the buffer:
    /// labels are written millions of times in a rebuild.
    public mutating func dateTime(_ t: LocalDateTime, iso: Bool = false) {
        separatorIfNeeded()
        t.append(to: &bytes, between: iso ? UInt8(ascii: "T") : UInt8(ascii: " "))
        if iso { bytes.append(UInt8(ascii: "Z")) }
    }

    /// The dialect's UTC offset cell: `+01:00`, or `UTC+01:00` in the Excel dialects.
    public mutating func offset(_ seconds: Int) {
        separatorIfNeeded()
        if dialect != .iso { bytes.append(contentsOf: [UInt8(ascii: "U"), UInt8(ascii: "T"), UInt8(ascii: "C")]) }
        bytes.append(seconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let a = abs(seconds)
        digits(a / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(a / 60 % 60, 2)
    }

    @inline(__always) private mutating func digits(_ v: Int, _ width: Int) {
        appendDigits(v, width, to: &bytes)
    }

    public mutating func endRow() {
        bytes.append(13)
        bytes.append(10)
        fieldInRow = false
    }

    /// Cells encoded by another writer of the same dialect (separated among themselves),
    /// placed as the next fields of this row.
    public mutating func cells(_ encoded: UnsafeBufferPointer<UInt8>) {
        separatorIfNeeded()
        bytes.append(contentsOf: encoded)
    }

    /// Begins the next run of cells without a line end: for cells encoded once and then placed
    /// into the rows of several files.
    public mutating func startCells() {
        fieldInRow = false
    }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
        fieldInRow = false
    }

    @inline(__always) private mutating func separatorIfNeeded() {
        if fieldInRow { bytes.append(separator) }
        fieldInRow = true
    }

    /// Digits are formed right to left in a stack buffer and appended in one go: this runs
    /// for every cell of a rebuild.
    private mutating func appendDecimal(steps: Int64, decimals: Int) {
        Decimal.append(steps: steps, decimals: decimals, point: decimalPoint, to: &bytes)
    }
}
