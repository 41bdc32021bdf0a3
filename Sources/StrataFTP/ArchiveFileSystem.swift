import Foundation

/// The served tree on disk. Symlinks are followed only when they stay inside the root, and
/// never shown with their targets; dot files (the archive writer's temporary files) are hidden.
public struct ArchiveFileSystem: FileSystemView {
    public let root: String
    private let realRoot: String

    public init(root: String) {
        self.root = (root as NSString).standardizingPath
        realRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    }

    public func diskPath(_ p: VirtualPath) -> String {
        p.components.isEmpty ? root : root + "/" + p.components.joined(separator: "/")
    }

    public func entry(_ p: VirtualPath) -> FileEntry? {
        if p.components.contains(where: { $0.hasPrefix(".") }) { return nil }
        let path = diskPath(p)
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            // Only a link whose target stays inside the root is served, as what it points to.
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard resolved == realRoot || resolved.hasPrefix(realRoot + "/"), stat(resolved, &st) == 0 else { return nil }
        }
        let isDir = (st.st_mode & S_IFMT) == S_IFDIR
        guard isDir || (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileEntry(name: p.name, isDirectory: isDir, size: isDir ? 0 : Int64(st.st_size), modified: Int64(st.st_mtim.tv_sec))
    }

    public func list(_ p: VirtualPath) -> [FileEntry]? {
        guard let e = entry(p), e.isDirectory else { return nil }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: diskPath(p)) else { return nil }
        return names.sorted().compactMap { n in
            guard !n.hasPrefix("."), let child = p.resolving(n) else { return nil }
            return entry(child)
        }
    }
}
