import Foundation
import StrataCore
import StrataTestSupport
import Testing

@testable import StrataZip

@Suite struct ZipTests {
    /// The archive is opened by Python's zipfile (a real reader, CRC checked by testzip).
    @Test func pythonZipfileReadsWhatWeWrite() throws {
        var zip = ZipArchive()
        let csv = Array(String(repeating: "2026-10-01 00:00:00;UTC+02:00;1,234\r\n", count: 500).utf8)
        let random = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let when = LocalDateTime(date: CivilDate(year: 2026, month: 11, day: 22), hour: 6, minute: 30, second: 10)
        try zip.add(name: "excel-eu/main/day/2026.csv", data: csv, modified: when)
        try zip.add(name: "random.bin", data: random, modified: when)
        try zip.add(name: "empty.txt", data: [], modified: when)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a.zip").path
        try Data(zip.finish()).write(to: URL(fileURLWithPath: path))
        #expect(zip.finish().count < csv.count) // the CSV compresses
        let script = """
            import zipfile, sys, hashlib
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            for i in z.infolist():
                print(i.filename, i.file_size, i.compress_type, hashlib.sha256(z.read(i)).hexdigest(), i.date_time)
            """
        let py = try PythonPeer.script(script, [path])
        let text = String(decoding: py.stdout, as: UTF8.self)
        #expect(py.status == 0)
        let lines = text.split(separator: "\n").map(String.init)
        func sha(_ b: [UInt8]) -> String { SHA256.hex(b) }
        #expect(
            lines == [
                "excel-eu/main/day/2026.csv \(csv.count) 8 \(sha(csv)) (2026, 11, 22, 6, 30, 10)",
                "random.bin \(random.count) \(lines.count > 1 && lines[1].contains(" 0 ") ? 0 : 8) \(sha(random)) (2026, 11, 22, 6, 30, 10)",
                "empty.txt 0 0 \(sha([])) (2026, 11, 22, 6, 30, 10)",
            ])
    }

    @Test func nonASCIINamesAreRefused() {
        var zip = ZipArchive()
        #expect(throws: ZipArchive.ZipError.nonASCIIName("Zähler.csv")) {
            try zip.add(name: "Zähler.csv", data: [1], modified: LocalDateTime(secondsSinceEpoch: 0))
        }
    }
}
