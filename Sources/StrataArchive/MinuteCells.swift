import StrataCore
import StrataStore

/// The data cells of a block's minutes for one table's columns, encoded once in one dialect.
///
/// A rebuild writes every device's minutes twice per dialect: in the device's file and again
/// side by side with every other device in the site's file. Encoding the numbers once and
/// copying the bytes into both halves the encoding (it was the larger part of a rebuild's CPU
/// after the store's scan).
public struct MinuteCells: Sendable {
    public let first: Int
    private var bytes: [UInt8]
    /// `ends[i - first]`: where row i's cells end in `bytes` (they start where row i-1's end).
    private var ends: [Int]
    private var values: [Bool]

    public init(_ table: CSVTable, _ block: MinuteBlock, from first: Int) {
        self.first = first
        let rows = max(0, block.count - first)
        let plan = table.cellSpecs.map { c in
            (
                offset: block.columnIndex(c.id).map { $0 * block.count } ?? -1, counter: c.counter,
                resolution: c.resolution
            )
        }
        var w = CSVWriter(dialect: table.dialect, reserve: rows * plan.count * 8)
        var ends: [Int] = []
        var values: [Bool] = []
        ends.reserveCapacity(rows)
        values.reserveCapacity(rows)
        block.withCells { cells, consumption in
            for i in first..<block.count {
                w.startCells()
                var any = false
                for p in plan {
                    let v: Double? = p.offset < 0 || cells[p.offset + i].isNaN ? nil : cells[p.offset + i]
                    if v != nil { any = true }
                    w.number(v, p.resolution)
                    guard p.counter else { continue }
                    let s = p.offset < 0 ? Int64.min : consumption[p.offset + i]
                    if s != Int64.min { w.number(steps: s, decimals: p.resolution.decimals) } else { w.empty() }
                }
                ends.append(w.bytes.count)
                values.append(any)
            }
        }
        bytes = w.bytes
        self.ends = ends
        self.values = values
    }

    /// Whether row `i` has any value (a file is made only for periods with data).
    public func hasValue(_ i: Int) -> Bool { i >= first && i - first < values.count && values[i - first] }

    /// The encoded cells of row `i` (empty before `first`).
    public func withRow<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard i >= first, i - first < ends.count else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        let k = i - first
        let a = k == 0 ? 0 : ends[k - 1]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[a..<ends[k]])) }
    }
}
