import Foundation
import StrataTestSupport
import Testing

/// The golden archive files checked against numbers computed here from the raw readings that
/// `ArchiveTests.fill` writes, without the store, the roll-up or the CSV encoder: a golden
/// file regenerated from a wrong writer cannot pass. The rules are the handbook's: counter
/// consumption of a bucket is C(end) − C(start), C rounded to 0.001 kWh at the edges, linear
/// between readings across a gap, nothing after the last reading; gauges are the mean, min
/// and max of the readings inside; coverage is readings over expected.
@Suite struct GoldenIndependentTests {
    struct Raw {
        /// Minute index → (kWh, W); minutes 300..<420 are the outage.
        var energy: [Int: Double] = [:]
        var power: [Int: Double] = [:]
        let start: Int64

        init(start: Int64, minutes: Int = 3 * 1440, gap: Range<Int> = 300..<420) {
            self.start = start
            var v = 500.0
            for m in 0..<minutes {
                v += 0.0125 + Double(m % 5) * 0.001
                if gap.contains(m) { continue }
                energy[m] = v
                power[m] = Double(1000 + (m * 37) % 500) + 0.25
            }
        }

        var lastMinute: Int { energy.keys.max() ?? 0 }

        static func steps(_ v: Double) -> Int64 { Int64((v * 1000).rounded(.toNearestOrAwayFromZero)) }

        /// C(t) in 0.001 kWh steps at a bucket edge `t` (UTC seconds), nil before the data.
        func cumulative(at t: Int64) -> Int64? {
            let offset = t - start
            guard offset >= 0 else { return nil }
            let m = Int(offset / 60)
            if m >= lastMinute { return energy[lastMinute].map(Self.steps) }
            if let v = energy[m], offset % 60 == 0 { return Self.steps(v) }
            // Between two readings: linear on the rounded readings, rounded half away from zero.
            guard let lo = energy.keys.filter({ $0 * 60 <= Int(offset) }).max(),
                let hi = energy.keys.filter({ $0 * 60 > Int(offset) }).min(),
                let lv = energy[lo], let hv = energy[hi]
            else { return nil }
            let (a, b) = (Self.steps(lv), Self.steps(hv))
            let num = Double(b - a) * Double(Int(offset) - lo * 60)
            let den = Double((hi - lo) * 60)
            return a + Int64((num / den).rounded(.toNearestOrAwayFromZero))
        }

        func minutes(_ from: Int64, _ to: Int64) -> [Int] {
            let a = max(0, Int((from - start + 59) / 60))
            let b = Int((to - start + 59) / 60)
            return a < b ? (a..<b).filter { power[$0] != nil } : []
        }
    }

    static func decimals3(_ steps: Int64) -> String {
        let s = String(steps.magnitude)
        let padded = String(repeating: "0", count: max(0, 4 - s.count)) + s
        return (steps < 0 ? "-" : "") + padded.dropLast(3) + "." + padded.suffix(3)
    }

    static func utc(_ text: String) -> Int64? {
        let f = ISO8601DateFormatter()
        return f.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }

    @Test(arguments: [
        (Int64(1_792_792_800), "paris-autumn"), (Int64(1_774_652_400), "paris-spring"),
        (Int64(1_792_693_800), "kolkata"),
    ])
    func goldenRowsAreWhatTheRawReadingsGive(start: Int64, name: String) throws {
        let raw = Raw(start: start)
        for file in ["hour", "day"] {
            let text = try String(contentsOfFile: ArchiveTests.golden + "/\(name)/iso/\(file).csv", encoding: .utf8)
            let rows = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map {
                $0.components(separatedBy: ",")
            }
            let h = try #require(rows.first)
            let col = { (n: String) throws -> Int in try #require(h.firstIndex(of: n), "no column \(n)") }
            let (cStartUTC, cHours, cCons, cAvg, cMin, cMax, cCov) = (
                try col("start_utc"), try col("hours"), try col("energy consumption [kWh]"),
                try col("power avg [W]"), try col("power min [W]"), try col("power max [W]"),
                try col("energy coverage [%]")
            )
            var checked = 0
            for r in rows.dropFirst() {
                let a = try #require(Self.utc(r[cStartUTC]))
                let hours = try #require(Int64(r[cHours]))
                let b = a + hours * 3600
                let inside = raw.minutes(a, b)
                let expectedCoverage = String(format: "%.1f", min(100, Double(inside.count) / Double(hours * 60) * 100))
                #expect(r[cCov] == expectedCoverage, "\(name) \(file) \(r[0]) coverage")
                guard let ca = raw.cumulative(at: a), let cb = raw.cumulative(at: b),
                    a < start + Int64(raw.lastMinute) * 60
                else {
                    #expect(r[cCons].isEmpty, "\(name) \(file) \(r[0]): nothing may be invented after the data")
                    continue
                }
                #expect(r[cCons] == Self.decimals3(cb - ca), "\(name) \(file) \(r[0]) consumption")
                let watts = inside.compactMap { raw.power[$0] }
                if watts.isEmpty {
                    #expect(r[cAvg].isEmpty)
                } else {
                    #expect(
                        r[cAvg]
                            == String(
                                Int64((watts.reduce(0, +) / Double(watts.count)).rounded(.toNearestOrAwayFromZero))),
                        "\(name) \(file) \(r[0]) avg")
                    #expect(r[cMin] == String(Int64((watts.min() ?? 0).rounded(.toNearestOrAwayFromZero))))
                    #expect(r[cMax] == String(Int64((watts.max() ?? 0).rounded(.toNearestOrAwayFromZero))))
                }
                checked += 1
            }
            #expect(checked >= (file == "hour" ? 48 : 3), "\(name) \(file): \(checked) rows checked")
        }
    }

    /// The Excel dialects say the same numbers as iso, in their own punctuation.
    @Test(arguments: ["paris-autumn", "paris-spring", "kolkata"])
    func excelDialectsCarryTheSameNumbers(name: String) throws {
        for file in ["hour", "day"] {
            func rows(_ d: String, _ sep: String) throws -> [[String]] {
                let t = try String(contentsOfFile: ArchiveTests.golden + "/\(name)/\(d)/\(file).csv", encoding: .utf8)
                return t.replacingOccurrences(of: "\u{FEFF}", with: "").components(separatedBy: "\r\n").filter {
                    !$0.isEmpty
                }.map { $0.components(separatedBy: sep) }
            }
            let iso = try rows("iso", ",")
            let eu = try rows("excel-eu", ";")
            let us = try rows("excel-us", ",")
            #expect(iso.count == eu.count && iso.count == us.count)
            for (i, (e, u)) in zip(eu, us).enumerated().dropFirst() {
                // iso has start_utc as its second column; the Excel files do not.
                var want = iso[i]
                want.remove(at: 1)
                want[1] = "UTC" + want[1]
                #expect(
                    e == want.map { $0.replacingOccurrences(of: ".", with: ",") }, "\(name) \(file) row \(i) excel-eu")
                #expect(u == want, "\(name) \(file) row \(i) excel-us")
            }
        }
    }
}
