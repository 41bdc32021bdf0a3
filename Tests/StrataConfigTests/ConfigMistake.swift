import StrataConfig
import Testing

/// What every config-mistake test checks: the text is refused, and the error names the file,
/// the key, the line (the given one, or at least some line) and says what is wrong.
enum ConfigMistake {
    static func expect(
        _ text: String, file: String, key: String, line: Int? = nil, message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try StrataConfig.parse(text, file: file)
            Issue.record("accepted a broken config (expected an error at \(key))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.file == file, "\(error)", sourceLocation: sourceLocation)
            #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
            if let line {
                #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
            } else {
                #expect(error.line != nil, "\(error)", sourceLocation: sourceLocation)
            }
            #expect(message.isEmpty || error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
        }
    }
}
