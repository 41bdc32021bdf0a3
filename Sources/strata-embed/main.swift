import Foundation

// Writes the files given into one Swift source, each as a `static let` string of its exact
// bytes, so that the binary carries them and runs alone (no resource bundle beside it, as a
// package installs it). Run by the EmbedFiles build plugin; usage: strata-embed OUT FILE...

/// `openapi.json` → `openapiJson`, `demo-site.toml` → `demoSiteToml`.
func identifier(_ fileName: String) -> String {
    let parts = fileName.split { !$0.isLetter && !$0.isNumber }.map(String.init)
    guard let first = parts.first else { return "file" }
    return first.lowercased() + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

/// A Swift string literal holding `text` exactly.
func literal(_ text: String) -> String {
    var out = "\""
    for u in text.unicodeScalars {
        switch u {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                out += "\\u{\(String(u.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

let args = CommandLine.arguments.dropFirst()
guard let output = args.first else {
    FileHandle.standardError.write(Data("usage: strata-embed OUT FILE...\n".utf8))
    exit(2)
}
var source = "// Generated at build time by strata-embed (the EmbedFiles plugin): edit the files named below.\n"
source += "enum Embedded {\n"
for path in args.dropFirst() {
    let name = (path as NSString).lastPathComponent
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("strata-embed: cannot read \(path) as UTF-8\n".utf8))
        exit(1)
    }
    source += "    /// \(name)\n    static let \(identifier(name)) = \(literal(text))\n"
}
source += "}\n"
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("strata-embed: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
