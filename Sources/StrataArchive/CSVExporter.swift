import StrataCore
import StrataStore

/// Writes a tier of some channels as CSV in a dialect: one row per bucket, empty cells where
/// there is no data (never 0), numbers at each channel's resolution.
public struct CSVExporter {
    public let store: Store
    public let dialect: CSVDialect

    public init(store: Store, dialect: CSVDialect) {
        self.store = store
        self.dialect = dialect
    }

    /// Streams the CSV to `sink` in chunks; returns the number of data rows.
    @discardableResult
    public func export(_ tier: Tier, channels: [StoredChannel], from: Int64, to: Int64, sink: ([UInt8]) throws -> Void)
        throws -> Int
    {
        let table = CSVTable(tier: tier, dialect: dialect, channels: channels, calendar: store.calendar)
        var w = CSVWriter(dialect: dialect)
        table.writeHeader(&w)
        var rows = 0
        if tier == .minute {
            try store.minutes(channels: channels, from: from, to: to) { block in
                table.writeRows(&w, block)
                rows += block.count
                try sink(w.bytes)
                w.removeAll()
            }
            return rows
        }
        // A month of buckets at a time keeps memory flat for long ranges.
        var a = from
        while a < to {
            let b =
                tier <= .hour
                ? min(to, store.calendar.bucketEnd(.month, start: store.calendar.bucketStart(.month, containing: a)))
                : to
            for bucket in try store.buckets(tier, channels: channels, from: a, to: b) {
                table.writeRow(&w, bucket)
                rows += 1
            }
            try sink(w.bytes)
            w.removeAll()
            a = b
        }
        return rows
    }
}
