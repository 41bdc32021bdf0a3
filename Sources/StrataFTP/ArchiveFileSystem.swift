import Foundation

/// The served tree on disk.
///
/// Every component of a path is resolved (`realpath`), not only the last one: a link in the
/// middle of a path (`/iso/escape/passwd` with `escape` → `/etc`) is followed only when the
/// whole resolved path stays inside the root. Links that stay inside are served as what they
/// point to; links that leave are as if absent, for every command (RETR, SIZE, MDTM, MLST,
/// LIST, CWD). Dot files (the archive writer's temporary files) are hidden, also when a link
/// points at one. Files are opened component by component with `O_NOFOLLOW` below the
/// resolved root, so a link swapped in between the check and the open cannot lead out either.
public struct ArchiveFileSystem: FileSystemView {
    public let root: String
    private let realRoot: String

    public init(root: String) {
        self.root = (root as NSString).standardizingPath
        realRoot = Self.realPath(self.root) ?? URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    }

    public func diskPath(_ p: VirtualPath) -> String {
        p.components.isEmpty ? root : root + "/" + p.components.joined(separator: "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    /// The components of `p` below the real root once every link is resolved; nil when the
    /// path does not exist, leaves the root or names a hidden entry.
    func resolvedComponents(_ p: VirtualPath) -> [String]? {
        if p.components.contains(where: { $0.hasPrefix(".") }) { return nil }
        guard let real = Self.realPath(diskPath(p)) else { return nil }
        let rel: Substring
        if real == realRoot {
            rel = ""
        } else if realRoot == "/" {
            rel = real.dropFirst()
        } else if real.hasPrefix(realRoot + "/") {
            rel = real.dropFirst(realRoot.count + 1)
        } else {
            return nil
        }
        let parts = rel.split(separator: "/").map(String.init)
        if parts.contains(where: { $0.hasPrefix(".") }) { return nil }
        return parts
    }

    /// The resolved path on disk of the components `resolvedComponents` gives.
    func realPath(of parts: [String]) -> String {
        parts.isEmpty ? realRoot : realRoot + "/" + parts.joined(separator: "/")
    }

    public func entry(_ p: VirtualPath) -> FileEntry? {
        resolvedComponents(p).flatMap { entry(name: p.name, at: realPath(of: $0)) }
    }

    /// What a resolved (link-free) path holds: a folder or a regular file.
    func entry(name: String, at real: String) -> FileEntry? {
        var st = stat()
        guard lstat(real, &st) == 0 else { return nil }
        let isDir = (st.st_mode & S_IFMT) == S_IFDIR
        guard isDir || (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileEntry(
            name: name, isDirectory: isDir, size: isDir ? 0 : Int64(st.st_size), modified: Int64(st.st_mtim.tv_sec))
    }

    public func list(_ p: VirtualPath) -> [FileEntry]? {
        guard let parts = resolvedComponents(p) else { return nil }
        let real = realPath(of: parts)
        guard let e = entry(name: p.name, at: real), e.isDirectory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: real)
        else { return nil }
        return names.sorted().compactMap { n in
            // Each child is resolved on its own: it may be a link.
            guard !n.hasPrefix("."), let child = p.resolving(n) else { return nil }
            return entry(child)
        }
    }

    /// Opens a regular file for reading; -1 when it is not one inside the root. Each
    /// component is opened with `O_NOFOLLOW` relative to the one before, from the real root.
    public func openFile(_ p: VirtualPath) -> Int32 {
        guard let parts = resolvedComponents(p), !parts.isEmpty else { return -1 }
        var fd = open(realRoot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        for (i, part) in parts.enumerated() {
            let last = i == parts.count - 1
            let next = openat(fd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY))
            close(fd)
            guard next >= 0 else { return -1 }
            fd = next
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return -1
        }
        return fd
    }
}
