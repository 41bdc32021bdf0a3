/// A path inside the served tree, always absolute and normalised ("/", "/iso/main").
///
/// Built only by resolving what a client sent against the current folder: `..` stops at the
/// root, backslashes are separators, NUL is refused. Nothing here can name a place outside
/// the root; the file-system adapter also refuses symlinks that leave it.
public struct VirtualPath: Hashable, Sendable, CustomStringConvertible {
    public private(set) var components: [String]

    public static let root = VirtualPath(components: [])

    init(components: [String]) { self.components = components }

    public var description: String { "/" + components.joined(separator: "/") }
    public var name: String { components.last ?? "/" }
    public var parent: VirtualPath { VirtualPath(components: Array(components.dropLast())) }

    /// Resolves `text` (absolute or relative to `self`); nil for a NUL byte.
    public func resolving(_ text: String) -> VirtualPath? {
        if text.contains("\0") { return nil }
        let unified = text.replacingOccurrences(of: "\\", with: "/")
        var parts = unified.hasPrefix("/") ? [] : components
        for seg in unified.split(separator: "/", omittingEmptySubsequences: true) {
            switch seg {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(seg))
            }
        }
        return VirtualPath(components: parts)
    }
}
