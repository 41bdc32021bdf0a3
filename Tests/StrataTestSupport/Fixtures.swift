import Foundation
import StrataImport

/// The datasets in Tests/Fixtures (AMPds2, CC BY 4.0: see its README), found from this file so
/// tests run from any folder.
public enum Fixtures {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    public static var water: String { root + "/ampds2/Water_WHW.csv.gz" }
    public static var gas: String { root + "/ampds2/NaturalGas_FRG.csv.gz" }
    public static var electricity: String { root + "/ampds2/Electricity_B1E-11.csv" }

    /// (unix_ts, column value) pairs of one column in file order, read without Strata's
    /// importer (only its gzip line reader).
    public static func column(_ path: String, _ name: String) throws -> [(Int64, Double)] {
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

    /// The same column by time (a later row of the same second wins).
    public static func columnByTime(_ path: String, _ name: String) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        for (t, v) in try column(path, name) { out[t] = v }
        return out
    }
}
