import Foundation
import StrataFuzzTargets

// Built two ways. With `-D FUZZING -sanitize=fuzzer,address` (tools/fuzz/run.sh) this hands
// control to libFuzzer's driver, which calls the target named by STRATA_FUZZ_TARGET with
// each input. In the ordinary build it is a replay tool: `strata-fuzz TARGET FILE...` runs
// files through the target once each (what the regression tests do for the corpus).

#if FUZZING
    // libFuzzer's entry for programs that own `main` (SwiftPM names the executable's entry).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The C name libFuzzer exports.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    nonisolated(unsafe) var selected: FuzzTarget = .ftp

    @main
    struct Fuzz {
        static func main() {
            let name = ProcessInfo.processInfo.environment["STRATA_FUZZ_TARGET"] ?? ""
            guard let t = FuzzTarget(rawValue: name) else {
                FileHandle.standardError.write(
                    Data(
                        "set STRATA_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n"
                            .utf8))
                exit(2)
            }
            selected = t
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    selected.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                })
        }
    }
#else
    @main
    struct Replay {
        static func main() {
            let args = CommandLine.arguments.dropFirst()
            guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
                print(
                    "usage: strata-fuzz TARGET FILE...   (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                exit(2)
            }
            var n = 0
            for path in args.dropFirst() {
                guard let d = FileManager.default.contents(atPath: path) else { continue }
                target.run(Array(d))
                n += 1
            }
            print("\(target.rawValue): \(n) inputs replayed, no crash")
        }
    }
#endif
