import StrataArchive
import StrataConfig
import StrataCore
import StrataStore

/// Computes a report's figures from the store. Every consumption comes from the store's exact
/// integer aggregates, so the report's numbers equal the archive's to the last digit.
public struct ReportBuilder {
    public let config: StrataConfig
    public let report: StrataConfig.Report
    let store: Store
    let schedule: ReportSchedule

    public init(config: StrataConfig, report: StrataConfig.Report, store: Store) {
        self.config = config
        self.report = report
        self.store = store
        schedule = ReportSchedule(
            kind: report.schedule.periodKind, at: report.at, grace: report.grace, zone: config.site.zone)
    }

    public func build(_ period: ReportPeriod, now: Int64) throws(StoreError) -> ReportContent {
        let (start, end) = schedule.bounds(period)
        var content = ReportContent(
            site: config.site.name, report: report.name, period: period, start: start, end: end, meters: [])
        if now < end {
            content.notes.append("The period is not over yet: figures cover it up to the time of this report.")
        }
        if !config.alarms.isEmpty {
            // Alarms raised in the period, with their clears (which may come after it).
            content.alarms = AlarmTable.rows(try store.alarmLog(from: start)).filter { $0.raised < end }
        }
        for device in config.devices where report.devices?.contains(device.id) ?? true {
            let stored = store.channels(ofDevice: device.id)
            let counters = stored.filter { $0.spec.kind == .counter && (report.channels?.contains($0.spec.id) ?? true) }
            let power = stored.first {
                $0.spec.kind == .gauge && $0.spec.id == "power" && ["W", "kW"].contains($0.spec.unit)
            }
            var section = MeterSection(
                device: device.id, name: device.name, counters: [], coverage: nil, gaps: [], events: [])
            for c in counters {
                let f = try figures(c, power: power, period: period, start: start, end: end, now: now)
                // A register that never moved (export on a site without solar) is noise unless asked for.
                if report.channels == nil, [f.consumption, f.previous, f.yearEarlier].allSatisfy({ ($0 ?? 0) == 0 }),
                    counters.count > 1
                {
                    continue
                }
                section.counters.append(f)
            }
            // Completeness is the meter's: measured on its first counter, or its first channel.
            if let main = counters.first ?? stored.first {
                section.coverage = coverage(
                    try store.buckets(.day, channels: [main], from: start, to: end), main, start, end)
                section.gaps = try gaps(main, start, min(end, max(start, now)))
            }
            if let m = ReactiveTable.meter(device: device.id, stored) {
                let days = try ReactiveTable.rows(store, m, tier: .day, from: start, to: end)
                if let total = ReactiveTable.total(days) {
                    let limits = report.reactiveLimits
                    let over = days.compactMap { d -> ReactiveSection.Day? in
                        let x = d.ratio.exceeds(limits)
                        return x.inductive || x.capacitive
                            ? ReactiveSection.Day(
                                start: d.start, ratio: d.ratio, inductive: x.inductive, capacitive: x.capacitive) : nil
                    }
                    section.reactive = ReactiveSection(total: total, limits: limits, daysOver: over, days: days.count)
                }
            }
            section.events = try store.events(channels: counters)
                .filter { $0.1.ts >= start && $0.1.ts < end && $0.1.action != .spike }
                .map {
                    Event(
                        ts: $0.1.ts, channel: $0.0.spec.id, action: $0.1.action, oldValue: $0.1.oldValue,
                        newValue: $0.1.newValue)
                }
            content.meters.append(section)
        }
        return content
    }

    // MARK: figures

    func figures(_ c: StoredChannel, power: StoredChannel?, period: ReportPeriod, start: Int64, end: Int64, now: Int64)
        throws(StoreError) -> CounterFigures
    {
        let days = try store.buckets(.day, channels: [c], from: start, to: end)
        let total = sum(days, c)
        let prev = schedule.bounds(period.previous)
        let year = schedule.bounds(period.yearEarlier)
        let hours = try store.buckets(.hour, channels: [c], from: start, to: end)
        var f = CounterFigures(
            channel: c.spec.id, name: c.spec.name, unit: c.spec.unit, decimals: c.spec.resolution.decimals,
            consumption: total,
            previous: sum(try store.buckets(.day, channels: [c], from: prev.start, to: prev.end), c),
            yearEarlier: sum(try store.buckets(.day, channels: [c], from: year.start, to: year.end), c),
            coverage: coverage(days, c, start, end), peak: nil, baseLoad: nil, costs: [], bars: [],
            provisional: now < end)
        let quarters = try store.buckets(.quarter, channels: [c], from: start, to: end)
        let stepsHourly = Self.stepsHourly(quarters, c)
        if stepsHourly, let power {
            f.peak = try gaugeDemand(power, start, end)
            f.baseLoad = try gaugeBaseLoad(power, start, end)
        } else {
            f.peak = try counterDemand(c, quarters: quarters, days: days)
            f.baseLoad = counterBaseLoad(c, hours)
        }
        f.costs = costs(c, hours)
        f.bars = bars(c, period: period, hours: hours, days: days)
        return f
    }

    func sum(_ rows: [BucketRow], _ c: StoredChannel) -> Int64? {
        var any = false
        var s: Int64 = 0
        for r in rows {
            guard let g = r.values[c.id], g.hasData else { continue }
            any = true
            s += g.consumption
        }
        return any ? s : nil
    }

    /// Readings present over readings expected, from the period's day rows.
    func coverage(_ rows: [BucketRow], _ c: StoredChannel, _ start: Int64, _ end: Int64) -> Double {
        let count = rows.reduce(0) { $0 + ($1.values[c.id]?.count ?? 0) }
        return Aggregate.coverage(count: count, seconds: end - start, interval: c.spec.interval)
    }

    /// A counter that only moves once an hour (a smart meter's hourly energy message): its
    /// quarters say nothing about demand.
    static func stepsHourly(_ quarters: [BucketRow], _ c: StoredChannel) -> Bool {
        var moving = 0
        var total = 0
        for q in quarters {
            guard let g = q.values[c.id], Int64(g.count) * Int64(c.spec.interval) >= q.end - q.start else { continue }
            total += 1
            if g.consumption > 0 { moving += 1 }
        }
        // Hourly steps move one quarter in four; continuous consumption moves nearly all.
        return total >= 16 && moving > 0 && Double(moving) / Double(total) <= 0.3
    }

    var blockQuarters: Int { Int(report.demandInterval / 900) }

    func counterDemand(_ c: StoredChannel, quarters: [BucketRow], days: [BucketRow]) throws(StoreError) -> Demand? {
        let hoursPerBlock = Double(report.demandInterval) / 3600
        let unit = rateUnit(of: c.spec.unit)
        let decimals = max(c.spec.resolution.decimals, 0)
        if blockQuarters == 1 {
            // The stored peak of the days: still there after the quarters are pruned.
            var best: (Int64, Int64)?
            for d in days {
                guard let g = d.values[c.id], let p = g.peak, let s = g.peakStart, best == nil || p > best!.0 else {
                    continue
                }
                best = (p, s)
            }
            guard let (p, s) = best else { return nil }
            return Demand(
                value: c.spec.resolution.value(ofSteps: p) / hoursPerBlock, unit: unit, decimals: decimals, start: s,
                source: "quarter-hour consumption")
        }
        var best: (Int64, Int64)?
        for (steps, s) in blocks(quarters, c) where best == nil || steps > best!.0 { best = (steps, s) }
        guard let (p, s) = best else { return nil }
        return Demand(
            value: c.spec.resolution.value(ofSteps: p) / hoursPerBlock, unit: unit, decimals: decimals, start: s,
            source: "consumption per \(report.demandInterval / 60) min")
    }

    /// Fixed local-clock blocks of whole, fully covered quarters: (summed steps, block start).
    func blocks(_ quarters: [BucketRow], _ c: StoredChannel) -> [(Int64, Int64)] {
        let n = blockQuarters
        var out: [(Int64, Int64)] = []
        var i = 0
        while i < quarters.count {
            let q = quarters[i]
            let minute = config.site.zone.local(q.start).secondOfDay / 60
            guard minute % (n * 15) == 0, i + n <= quarters.count else {
                i += 1
                continue
            }
            var steps: Int64 = 0
            var ok = true
            for k in 0..<n {
                let r = quarters[i + k]
                if k > 0 && r.start != quarters[i + k - 1].end {
                    ok = false
                    break
                }
                guard let g = r.values[c.id], !g.provisional, Int64(g.count) * Int64(c.spec.interval) >= r.end - r.start
                else {
                    ok = false
                    break
                }
                steps += g.consumption
            }
            if ok { out.append((steps, q.start)) }
            i += n
        }
        return out
    }

    func counterBaseLoad(_ c: StoredChannel, _ hours: [BucketRow]) -> Demand? {
        var best: (Int64, Int64)?
        for h in hours {
            guard config.site.zone.local(h.start).secondOfDay < 5 * 3600, let g = h.values[c.id], !g.provisional,
                Int64(g.count) * Int64(c.spec.interval) >= h.end - h.start
            else { continue }
            // Per hour of clock time: a 25-hour day's repeated hour is still one hour.
            let perHour = g.consumption * 3600 / max(h.end - h.start, 1)
            if best == nil || perHour < best!.0 { best = (perHour, h.start) }
        }
        guard let (v, s) = best else { return nil }
        return Demand(
            value: c.spec.resolution.value(ofSteps: v), unit: rateUnit(of: c.spec.unit),
            decimals: max(c.spec.resolution.decimals, 0),
            start: s, source: "hourly consumption")
    }

    func gaugeScale(_ p: StoredChannel) -> (Double, String) { p.spec.unit == "W" ? (0.001, "kW") : (1, "kW") }

    func gaugeDemand(_ p: StoredChannel, _ start: Int64, _ end: Int64) throws(StoreError) -> Demand? {
        let quarters = try store.buckets(.quarter, channels: [p], from: start, to: end)
        let (scale, unit) = gaugeScale(p)
        let n = blockQuarters
        var best: (Double, Int64)?
        var i = 0
        while i + n <= quarters.count {
            let q = quarters[i]
            guard config.site.zone.local(q.start).secondOfDay / 60 % (n * 15) == 0 else {
                i += 1
                continue
            }
            var total = 0.0
            var ok = true
            for k in 0..<n {
                let r = quarters[i + k]
                guard let g = r.values[p.id], let m = g.mean, Int64(g.count) * Int64(p.spec.interval) >= r.end - r.start
                else {
                    ok = false
                    break
                }
                total += m
            }
            if ok, best == nil || total / Double(n) > best!.0 { best = (total / Double(n), q.start) }
            i += n
        }
        guard let (v, s) = best else { return nil }
        return Demand(
            value: v * scale, unit: unit, decimals: 3, start: s,
            source: "power readings (the energy register steps hourly)")
    }

    func gaugeBaseLoad(_ p: StoredChannel, _ start: Int64, _ end: Int64) throws(StoreError) -> Demand? {
        let hours = try store.buckets(.hour, channels: [p], from: start, to: end)
        let (scale, unit) = gaugeScale(p)
        var best: (Double, Int64)?
        for h in hours {
            guard config.site.zone.local(h.start).secondOfDay < 5 * 3600, let g = h.values[p.id], let m = g.mean,
                Int64(g.count) * Int64(p.spec.interval) >= h.end - h.start
            else { continue }
            if best == nil || m < best!.0 { best = (m, h.start) }
        }
        guard let (v, s) = best else { return nil }
        return Demand(value: v * scale, unit: unit, decimals: 3, start: s, source: "power readings")
    }

    // MARK: tariffs

    func costs(_ c: StoredChannel, _ hours: [BucketRow]) -> [TariffCost] {
        let plan = config.tariffs.filter { $0.unit.lowercased() == c.spec.unit.lowercased() }
        guard !plan.isEmpty else { return [] }
        var steps = [Int64](repeating: 0, count: plan.count)
        var unpriced: Int64 = 0
        let holidays = config.holidayCalendar
        for h in hours {
            guard let g = h.values[c.id] else { continue }
            let local = config.site.zone.local(h.start)
            let idx = TariffPlan.tariff(
                plan, date: local.date, dayType: DayType.of(local.date, holidays: holidays),
                minuteOfDay: local.secondOfDay / 60)
            if let idx { steps[idx] += g.consumption } else { unpriced += g.consumption }
        }
        var out = plan.enumerated().map { i, t in
            TariffCost(
                tariff: t.name, currency: t.currency, price: t.price, steps: steps[i],
                cost: c.spec.resolution.value(ofSteps: steps[i]) * t.price)
        }
        if unpriced > 0 {
            out.append(
                TariffCost(tariff: "(no tariff)", currency: plan[0].currency, price: 0, steps: unpriced, cost: 0))
        }
        return out
    }

    // MARK: chart

    func bars(_ c: StoredChannel, period: ReportPeriod, hours: [BucketRow], days: [BucketRow]) -> [Bar] {
        let zone = config.site.zone
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if period.kind == .day {
            return hours.map { h in
                let g = h.values[c.id]
                return Bar(
                    label: two(zone.local(h.start).secondOfDay / 3600),
                    steps: (g?.hasData ?? false) ? g?.consumption : nil)
            }
        }
        let names = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
        return days.map { d in
            let date = zone.local(d.start).date
            let g = d.values[c.id]
            let label = period.kind == .week ? "\(names[date.isoWeekday - 1]) \(date.day)" : "\(date.day)"
            return Bar(label: label, steps: (g?.hasData ?? false) ? g?.consumption : nil)
        }
    }

    // MARK: gaps

    /// Runs of missing minutes (from the minute tier while it is kept, else of empty quarters).
    func gaps(_ c: StoredChannel, _ start: Int64, _ end: Int64) throws(StoreError) -> [Gap] {
        guard end > start else { return [] }
        var out: [Gap] = []
        var open: Int64?
        var sawAny = false
        do {
            try store.minutes(channels: [c], from: start, to: end) { block in
                guard let col = block.columnIndex(c.id) else { return }
                for i in 0..<block.count {
                    let t = block.ts(i)
                    if block.value(column: col, i) == nil {
                        if open == nil { open = t }
                    } else {
                        sawAny = true
                        if let o = open {
                            out.append(Gap(start: o, end: t))
                            open = nil
                        }
                    }
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            return []
        }
        if let o = open { out.append(Gap(start: o, end: end)) }
        if sawAny || c.spec.interval != 60 { return c.spec.interval == 60 ? out : [] }
        // No minutes at all: pruned, or the meter was silent the whole time; quarters tell which.
        let quarters = try store.buckets(.quarter, channels: [c], from: start, to: end)
        out = []
        open = nil
        for q in quarters {
            if (q.values[c.id]?.count ?? 0) == 0 {
                if open == nil { open = q.start }
            } else if let o = open {
                out.append(Gap(start: o, end: q.start))
                open = nil
            }
        }
        if let o = open { out.append(Gap(start: o, end: end)) }
        return out
    }
}

/// Which tariff prices an hour: the first (in the file's order) whose season, day and hours
/// cover it, else the one without any. A holiday is priced as a holiday where a tariff names
/// that day type, and as a Sunday where none does.
public enum TariffPlan {
    public static func tariff(_ plan: [StrataConfig.Tariff], date: CivilDate, dayType: DayType, minuteOfDay: Int)
        -> Int?
    {
        var type = dayType
        if type == .holiday, !plan.contains(where: { $0.dayTypes?.contains(.holiday) ?? false }) { type = .sunday }
        let weekday = dayType == .holiday ? 7 : date.isoWeekday
        if let i = plan.firstIndex(where: {
            !$0.isFallback && $0.covers(date: date, dayType: type, weekday: weekday, minuteOfDay: minuteOfDay)
        }) {
            return i
        }
        return plan.firstIndex(where: \.isFallback)
    }
}

extension StrataConfig.Report.Schedule {
    public var periodKind: ReportPeriod.Kind {
        switch self {
        case .daily: .day
        case .weekly: .week
        case .monthly: .month
        }
    }
}
