import Foundation
import StrataTestSupport
import Testing

/// Every command that writes a file takes a bare name (resolved from the folder it runs in),
/// a relative path and an absolute one, as users type them.
struct OutputPathTests {
    enum Form: String, CaseIterable, Sendable {
        case bare, relative, absolute

        /// The argument to give and where the file must then be, for `name` run in `dir`.
        func argument(_ name: String, in dir: TempDir) -> (arg: String, path: String) {
            switch self {
            case .bare: (name, dir.file(name))
            case .relative: ("out/../" + name, dir.file(name))
            case .absolute: (dir.file(name), dir.file(name))
            }
        }
    }

    @Test(arguments: Form.allCases)
    func exportOutput(_ form: Form) throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let (arg, path) = form.argument("day.csv", in: dir)
        let r = try CLI.run(
            [
                "export", "--config", "strata.toml", "--device", "water", "--tier", "day", "--from", "2013-03-10",
                "--to", "2013-03-11", "--output", arg,
            ], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("start,"))
    }

    @Test(arguments: Form.allCases)
    func backupTo(_ form: Form) throws {
        let dir = TempDir()
        try dir.write("strata.toml", houseConfig())
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let (arg, path) = form.argument("copy.sqlite", in: dir)
        let r = try CLI.run(["backup", "--config", "strata.toml", "--to", arg], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(sqliteShell(path, "PRAGMA integrity_check;") == "ok")
    }

    @Test(arguments: Form.allCases)
    func demoWriteConfig(_ form: Form) throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let (arg, path) = form.argument("site.toml", in: dir)
        let r = try CLI.run(["demo", "--write-config", arg], cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("[site]"))
        let check = try CLI.run(["check", "--config", path], cwd: dir.path)
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test(arguments: Form.allCases)
    func reportOut(_ form: Form) throws {
        let dir = TempDir()
        try dir.write(
            "strata.toml",
            houseConfig()
                + """

                [[reports]]
                name = "daily"
                schedule = "daily"
                to = ["fm@example.org"]

                """)
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let (arg, path) = form.argument("mail", in: dir)
        let r = try CLI.run(
            ["report", "--config", "strata.toml", "--report", "daily", "--period", "2013-03-10", "--out", arg],
            cwd: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: path + "/daily-2013-03-10.eml"), "\(r.stdout)")
    }
}
