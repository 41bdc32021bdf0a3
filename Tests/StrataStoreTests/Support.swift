import Foundation
import StrataCore
import StrataImport
@testable import StrataStore

/// A fresh folder per test, removed afterwards.
final class TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "strata-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

enum Fixtures {
    /// Tests/Fixtures, found from this source file so tests run from any folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    static var water: String { root + "/ampds2/Water_WHW.csv.gz" }
    static var gas: String { root + "/ampds2/NaturalGas_FRG.csv.gz" }
    static var electricity: String { root + "/ampds2/Electricity_B1E-11.csv" }

    /// (unix_ts, column value) pairs of one column, read without Strata's importer.
    static func column(_ path: String, _ name: String) throws -> [(Int64, Double)] {
        let reader = try LineReader(path: path)
        guard let header = try reader.next() else { return [] }
        let names = String(decoding: header, as: UTF8.self).split(separator: ",").map(String.init)
        guard let idx = names.firstIndex(of: name) else { return [] }
        var out: [(Int64, Double)] = []
        while let line = try reader.next() {
            let f = String(decoding: line, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
            if let t = Int64(f[0]), idx < f.count, let v = Double(f[idx]) { out.append((t, v)) }
        }
        return out
    }
}

let vancouver = SiteCalendar(zone: ZoneRules(identifier: "America/Vancouver")!)

func openStore(_ dir: TempDir, _ specs: [ChannelSpec], calendar: SiteCalendar = vancouver, name: String = "s.sqlite",
               retention: [Tier: Span] = [:], budget: ByteSize? = nil) throws -> Store {
    try Store(path: dir.file(name), channels: specs, calendar: calendar, retention: retention, budget: budget)
}

/// Every stored aggregate of every tier, for comparing two stores.
func dump(_ s: Store) throws -> [String] {
    var out: [String] = []
    for t in Tier.aggregated {
        for (start, ch, g) in try s.storedAggregates(t, from: Int64.min, to: Int64.max, channel: nil) {
            let name = s.byID[ch].map { "\($0.spec.device).\($0.spec.id)" } ?? "?"
            out.append("\(t) \(start) \(name) n=\(g.count) c=\(g.consumption) min=\(g.min ?? .nan) max=\(g.max ?? .nan) sum=\(g.sum) first=\(g.first ?? .nan) last=\(g.last ?? .nan) p=\(g.provisional) i=\(g.interpolated)")
        }
    }
    return out
}
