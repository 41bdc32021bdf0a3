import StrataCore

/// Writes a tier of some channels as CSV in a dialect: one row per bucket, empty cells where
/// there is no data (never 0), numbers at each channel's resolution.
public struct CSVExporter {
    public let store: Store
    public let dialect: CSVDialect

    public init(store: Store, dialect: CSVDialect) {
        self.store = store
        self.dialect = dialect
    }

    /// The header cells for a tier and channels, as the export and archive contract names them.
    public func header(_ tier: Tier, channels: [StoredChannel]) -> [String] {
        var h = ["start"]
        if dialect.hasUTCColumn { h.append("start_utc") }
        h.append("utc_offset")
        if tier == .minute {
            for c in channels {
                let s = c.spec
                switch s.kind {
                case .gauge: h.append("\(s.id) [\(s.unit)]")
                case .counter: h += ["\(s.id) reading [\(s.unit)]", "\(s.id) consumption [\(s.unit)]"]
                }
            }
            return h
        }
        h.append("hours")
        for c in channels {
            let s = c.spec
            switch s.kind {
            case .counter: h += ["\(s.id) consumption [\(s.unit)]", "\(s.id) reading [\(s.unit)]"]
            case .gauge: h += ["\(s.id) avg [\(s.unit)]", "\(s.id) min [\(s.unit)]", "\(s.id) max [\(s.unit)]"]
            }
        }
        for c in channels { h.append("\(c.spec.id) coverage [%]") }
        return h
    }

    /// Streams the CSV to `sink` in chunks; returns the number of data rows.
    @discardableResult
    public func export(_ tier: Tier, channels: [StoredChannel], from: Int64, to: Int64, sink: ([UInt8]) throws -> Void) throws -> Int {
        var w = CSVWriter(dialect: dialect)
        w.writeBOM()
        for cell in header(tier, channels: channels) { w.field(cell) }
        w.endRow()
        var rows = 0
        if tier == .minute {
            try store.minutes(channels: channels, from: from, to: to) { lines in
                for l in lines {
                    writeLabel(&w, l.ts)
                    for c in channels {
                        let r = c.spec.resolution
                        let v = l.values[c.id]
                        switch c.spec.kind {
                        case .gauge: w.number(v?.value, r)
                        case .counter:
                            w.number(v?.value, r)
                            if let g = l.consumption[c.id] { w.number(steps: g.consumption, decimals: r.decimals) } else { w.empty() }
                        }
                    }
                    w.endRow()
                    rows += 1
                }
                try sink(w.bytes)
                w.removeAll()
            }
            return rows
        }
        // A month of buckets at a time keeps memory flat for long ranges.
        var a = from
        while a < to {
            let b = tier <= .hour ? min(to, store.calendar.bucketEnd(.month, start: store.calendar.bucketStart(.month, containing: a))) : to
            for bucket in try store.buckets(tier, channels: channels, from: a, to: b) {
                writeLabel(&w, bucket.start)
                let seconds = bucket.end - bucket.start
                w.number(steps: seconds % 3600 == 0 ? seconds / 3600 : seconds * 100 / 3600, decimals: seconds % 3600 == 0 ? 0 : 2)
                for c in channels {
                    let r = c.spec.resolution
                    let g = bucket.values[c.id]
                    switch c.spec.kind {
                    case .counter:
                        if let g { w.number(steps: g.consumption, decimals: r.decimals) } else { w.empty() }
                        w.number(g?.last, r)
                    case .gauge:
                        w.number(g?.mean, r)
                        w.number(g?.min, r)
                        w.number(g?.max, r)
                    }
                }
                for c in channels {
                    let g = bucket.values[c.id]
                    let cov = Aggregate.coverage(count: g?.count ?? 0, seconds: seconds, interval: c.spec.interval)
                    w.number(cov, Resolution(decimals: 1))
                }
                w.endRow()
                rows += 1
            }
            try sink(w.bytes)
            w.removeAll()
            a = b
        }
        return rows
    }

    private func writeLabel(_ w: inout CSVWriter, _ start: Int64) {
        let (local, offset) = store.calendar.label(start)
        w.field(local.description)
        if dialect.hasUTCColumn { w.field(LocalDateTime(secondsSinceEpoch: start).description.replacingOccurrences(" ", "T") + "Z") }
        w.field(dialect.offsetText(offset))
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: Character, _ b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
