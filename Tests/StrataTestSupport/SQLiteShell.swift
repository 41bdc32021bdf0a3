import Foundation

/// Values of the store read with the sqlite3 shell: what is on disk, not what the code thinks.
/// A store the shell cannot read fails the test (throws); no rows means no rows.
public func storedValues(_ db: String, device: String, channel: String) throws -> [(ts: Int64, value: Double)] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [
        db,
        "SELECT m.ts, m.value FROM minute m JOIN channel c ON c.id = m.channel WHERE c.device = '\(device)' AND c.channel = '\(channel)' ORDER BY m.ts",
    ]
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let d = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw ModbusSim.SimError.sqlite("sqlite3 \(db): \(String(decoding: e, as: UTF8.self))")
    }
    return try String(decoding: d, as: UTF8.self).split(separator: "\n").map { line in
        let f = line.split(separator: "|")
        guard f.count == 2, let t = Int64(f[0]), let v = Double(f[1]) else {
            throw ModbusSim.SimError.sqlite("unexpected row \(line)")
        }
        return (t, v)
    }
}

/// One value from a store with the sqlite3 shell (what is on disk).
public func sqliteShell(_ db: String, _ query: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [db, query]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    do { try p.run() } catch { return "sqlite3 did not start: \(error)" }
    let d = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: d, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
