import Foundation
import StrataFuzzTargets
import Testing

/// Every kept corpus input and every crash libFuzzer ever found, replayed through the same
/// functions the fuzzer drives: a crash found once stays fixed. `tools/fuzz/run.sh` adds
/// the inputs it finds to Corpus/<target>/ (crashes as crash-*).
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: FuzzTarget) -> [URL] {
        guard
            let dir = Bundle.module.url(forResource: "Corpus", withExtension: nil)?.appendingPathComponent(
                target.rawValue),
            let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { return [] }
        return names.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplaysWithoutACrash(target: FuzzTarget) throws {
        let files = Self.inputs(target)
        #expect(!files.isEmpty, "no corpus for \(target.rawValue)")
        for f in files { target.run(Array(try Data(contentsOf: f))) }
    }
}
