import StrataCore
import StrataStore

/// The columns of a tier's CSV for some channels, and how each row is spelled.
///
/// Shared by `strata export` and the archive so both write the same bytes. Column names are
/// `<channel> …` for one device, `<device>.<channel> …` for the whole site.
public struct CSVTable: Sendable {
    public struct Column: Sendable {
        public var channel: StoredChannel
        public var name: String
    }

    public let tier: Tier
    public let dialect: CSVDialect
    public let columns: [Column]
    public let calendar: SiteCalendar

    /// What encoding a cell needs of each column, without the strings: copying a column per
    /// cell (retaining its names) cost more than encoding the number.
    struct CellSpec: Sendable {
        var id: Int64
        var counter: Bool
        var resolution: Resolution
        var interval: Int
    }

    let cellSpecs: [CellSpec]

    public init(
        tier: Tier, dialect: CSVDialect, channels: [StoredChannel], calendar: SiteCalendar, qualified: Bool = false
    ) {
        self.tier = tier
        self.dialect = dialect
        self.calendar = calendar
        columns = channels.map { Column(channel: $0, name: qualified ? "\($0.spec.device).\($0.spec.id)" : $0.spec.id) }
        cellSpecs = channels.map {
            CellSpec(
                id: $0.id, counter: $0.spec.kind == .counter, resolution: $0.spec.resolution, interval: $0.spec.interval
            )
        }
    }

    public var headerCells: [String] {
        var h = ["start"]
        if dialect.hasUTCColumn { h.append("start_utc") }
        h.append("utc_offset")
        if tier == .minute {
            for c in columns {
                let s = c.channel.spec
                switch s.kind {
                case .gauge: h.append("\(c.name) [\(s.unit)]")
                case .counter: h += ["\(c.name) reading [\(s.unit)]", "\(c.name) consumption [\(s.unit)]"]
                }
            }
            return h
        }
        h.append("hours")
        for c in columns {
            let s = c.channel.spec
            switch s.kind {
            case .counter: h += ["\(c.name) consumption [\(s.unit)]", "\(c.name) reading [\(s.unit)]"]
            case .gauge: h += ["\(c.name) avg [\(s.unit)]", "\(c.name) min [\(s.unit)]", "\(c.name) max [\(s.unit)]"]
            }
        }
        for c in columns { h.append("\(c.name) coverage [%]") }
        return h
    }

    /// BOM (Excel dialects) and the header line.
    public func writeHeader(_ w: inout CSVWriter) {
        w.writeBOM()
        for cell in headerCells { w.field(cell) }
        w.endRow()
    }

    public func writeRow(_ w: inout CSVWriter, _ bucket: BucketRow) {
        writeLabel(&w, bucket.start)
        let seconds = bucket.end - bucket.start
        w.number(
            steps: seconds % 3600 == 0 ? seconds / 3600 : seconds * 100 / 3600, decimals: seconds % 3600 == 0 ? 0 : 2)
        for c in columns {
            let r = c.channel.spec.resolution
            let g = bucket.values[c.channel.id]
            switch c.channel.spec.kind {
            case .counter:
                if let g { w.number(steps: g.consumption, decimals: r.decimals) } else { w.empty() }
                w.number(g?.last, r)
            case .gauge:
                w.number(g?.mean, r)
                w.number(g?.min, r)
                w.number(g?.max, r)
            }
        }
        for c in columns {
            let g = bucket.values[c.channel.id]
            let cov = Aggregate.coverage(count: g?.count ?? 0, seconds: seconds, interval: c.channel.spec.interval)
            w.number(cov, Resolution(decimals: 1))
        }
        w.endRow()
    }

    /// The row of bucket `i` of a block; returns whether any cell had data. Same bytes as
    /// `writeRow(_:_:)` of the equal `BucketRow`.
    @discardableResult
    public func writeRow(_ w: inout CSVWriter, _ block: BucketBlock, _ i: Int, columns cols: [Int?]) -> Bool {
        let start = block.starts[i]
        let end = block.ends[i]
        writeLabel(&w, start)
        let seconds = end - start
        w.number(
            steps: seconds % 3600 == 0 ? seconds / 3600 : seconds * 100 / 3600, decimals: seconds % 3600 == 0 ? 0 : 2)
        var any = false
        for k in cellSpecs.indices {
            let r = cellSpecs[k].resolution
            let g = cols[k].flatMap { block.aggregate(column: $0, i) }
            any = any || g?.hasData == true
            if cellSpecs[k].counter {
                if let g { w.number(steps: g.consumption, decimals: r.decimals) } else { w.empty() }
                w.number(g?.last, r)
            } else {
                w.number(g?.mean, r)
                w.number(g?.min, r)
                w.number(g?.max, r)
            }
        }
        for k in cellSpecs.indices {
            let count = cols[k].flatMap { block.aggregate(column: $0, i)?.count } ?? 0
            let cov = Aggregate.coverage(count: count, seconds: seconds, interval: cellSpecs[k].interval)
            w.number(cov, Resolution(decimals: 1))
        }
        w.endRow()
        return any
    }

    /// Rows of minutes `from...` of a block; returns whether any cell had a value.
    @discardableResult
    public func writeRows(_ w: inout CSVWriter, _ block: MinuteBlock, from first: Int = 0) -> Bool {
        writeRows(&w, block, cells: [MinuteCells(self, block, from: first)], from: first)
    }

    /// Rows of minutes `from...` of a block whose cells are already encoded, `groups` side by
    /// side (a site file's row is its devices' cells in a row); returns whether any had a value.
    @discardableResult
    public func writeRows(_ w: inout CSVWriter, _ block: MinuteBlock, cells groups: [MinuteCells], from first: Int)
        -> Bool
    {
        precondition(
            groups.allSatisfy { $0.first <= first }, "cells encoded from a later minute than the rows asked for")
        var any = false
        for i in first..<block.count {
            writeLabel(&w, block.ts(i))
            for g in groups {
                g.withRow(i) { w.cells($0) }
                if g.hasValue(i) { any = true }
            }
            w.endRow()
        }
        return any
    }

    /// Whether a row carries any value for these columns (files are made only for periods
    /// with data).
    public func hasData(_ bucket: BucketRow) -> Bool {
        columns.contains { bucket.values[$0.channel.id]?.hasData == true }
    }

    func writeLabel(_ w: inout CSVWriter, _ start: Int64) {
        let (local, offset) = calendar.label(start)
        w.dateTime(local)
        if dialect.hasUTCColumn { w.dateTime(LocalDateTime(secondsSinceEpoch: start), iso: true) }
        w.offset(offset)
    }
}
