/// What the session needs to know about the served tree. The real one reads the disk
/// (`ArchiveFileSystem`); tests of the state machine use a dictionary.
public protocol FileSystemView: Sendable {
    func entry(_ path: VirtualPath) -> FileEntry?
    func list(_ path: VirtualPath) -> [FileEntry]?
}

public struct FileEntry: Equatable, Sendable {
    public var name: String
    public var isDirectory: Bool
    public var size: Int64
    /// Seconds since 1970, UTC.
    public var modified: Int64

    public init(name: String, isDirectory: Bool, size: Int64, modified: Int64) {
        self.name = name
        self.isDirectory = isDirectory
        self.size = size
        self.modified = modified
    }
}
