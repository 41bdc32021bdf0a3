import CFileSync
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// File operations with the durability the archive promises: a reader sees a whole old file
/// or a whole new one, and an append is one write of whole lines.
public enum ArchiveFiles {
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var what: String
        var description: String { "archive: cannot \(what) \(path): \(String(cString: strerror(errno)))" }
    }

    /// `path` from the working folder when it is relative: a bare file name (`--out march.csv`)
    /// has no folder part to put its temporary file in.
    public static func absolute(_ path: String) -> String {
        let p = (path as NSString).expandingTildeInPath
        if p.hasPrefix("/") { return p }
        return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p) as NSString)
            .standardizingPath
    }

    public static func ensureFolder(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to a temporary file in the same folder, flushes it, and renames it over
    /// `path`; then flushes the folder so the rename itself survives a power cut.
    public static func replace(_ path: String, with bytes: [UInt8]) throws {
        let path = absolute(path)
        let folder = (path as NSString).deletingLastPathComponent
        try ensureFolder(folder)
        let tmp = temporary(for: path)
        try create(tmp, bytes, flush: true)
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw Failure(path: path, what: "rename onto")
        }
        syncFolder(folder)
    }

    /// `replace`, unless the file holds these bytes already: an unchanged file keeps its time,
    /// which mirroring clients compare. True when it was written.
    @discardableResult
    public static func replaceIfChanged(_ path: String, with bytes: [UInt8]) throws -> Bool {
        if read(path) == bytes { return false }
        try replace(path, with: bytes)
        return true
    }

    /// The temporary file `replace` and `StagedFiles` write next to `path`.
    static func temporary(for path: String) -> String {
        (path as NSString).deletingLastPathComponent + "/\(ArchiveLayout.temporaryPrefix)\(getpid())-"
            + (path as NSString).lastPathComponent
    }

    /// Creates `tmp` with `bytes`; flushed now, or (`flush: false`) with its pages only started
    /// on their way to the disk, for a later `syncfs` to wait for. Removed again on failure.
    static func create(_ tmp: String, _ bytes: [UInt8], flush: Bool) throws {
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: tmp, what: "create") }
        defer { close(fd) }
        do {
            try writeAll(fd, bytes, path: tmp)
            if flush {
                guard fsync(fd) == 0 else { throw Failure(path: tmp, what: "flush") }
            } else {
                _ = strata_start_writeback(fd)
            }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Removes temporary files a killed writer left behind (its process id is in the name);
    /// those of a writer still running are left alone.
    static func sweepTemporaries(_ root: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        var removed = 0
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            guard name.hasPrefix(ArchiveLayout.temporaryPrefix) else { continue }
            let pid = name.dropFirst(ArchiveLayout.temporaryPrefix.count).prefix { $0 != "-" }
            guard let p = Int32(pid), p != getpid(), kill(p, 0) != 0, errno == ESRCH else { continue }
            if unlink(root + "/" + rel) == 0 { removed += 1 }
        }
        return removed
    }

    /// Appends whole lines in one write, then flushes.
    static func append(_ path: String, _ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, what: "open for appending") }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        guard fsync(fd) == 0 else { throw Failure(path: path, what: "flush") }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { p -> Int in
                guard let base = p.baseAddress else { return 0 }
                return write(fd, base + off, bytes.count - off)
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(path: path, what: "write") }
            off += n
        }
    }

    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func size(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    /// Points `link` at `target` (a hard link, so Excel and SMB see a plain file), atomically.
    static func hardLink(_ link: String, to target: String) throws {
        if let a = inode(link), let b = inode(target), a == b { return }
        let tmp = temporary(for: (link as NSString).deletingLastPathComponent + "/current")
        unlink(tmp)
        guard Glibc.link(target, tmp) == 0 else { throw Failure(path: target, what: "link") }
        guard rename(tmp, link) == 0 else {
            unlink(tmp)
            throw Failure(path: link, what: "rename onto")
        }
    }
}

/// Whole-file replacement for other writers into the archive tree (the outbox's status.csv):
/// readers over FTP or SMB see the old file or the new one, never half of one.
public enum AtomicFile {
    public static func write(_ path: String, _ bytes: [UInt8]) throws {
        try ArchiveFiles.replace(path, with: bytes)
    }
}

/// The new and rewritten files of one pass of the writer, made durable together.
///
/// Each file is written to a temporary file next to its place; a flush makes all their data
/// durable with one `syncfs`, then renames them into place and flushes each folder once. A
/// reader still sees a whole old file or a whole new one, and a power cut still loses no
/// renamed file's data, but a rebuild creating thousands of files pays for one journal commit
/// per flush instead of two per file (a fsync of the file, one of its folder).
final class StagedFiles {
    private let root: String
    private var pending: [(tmp: String, path: String)] = []
    private var pendingBytes = 0
    /// Enough to keep a flush's cost spread over many files, little enough that a reader
    /// does not wait long for the next current file.
    static let maxFiles = 512
    static let maxBytes = 128 << 20

    init(root: String) {
        self.root = root
    }

    deinit {
        // A pass that failed before its flush leaves no temporary files behind.
        for p in pending { unlink(p.tmp) }
    }

    func replace(_ path: String, with bytes: [UInt8]) throws {
        try ArchiveFiles.ensureFolder((path as NSString).deletingLastPathComponent)
        let tmp = ArchiveFiles.temporary(for: path)
        try ArchiveFiles.create(tmp, bytes, flush: false)
        pending.append((tmp, path))
        pendingBytes += bytes.count
        if pending.count >= Self.maxFiles || pendingBytes >= Self.maxBytes { try flush() }
    }

    func flush() throws {
        guard !pending.isEmpty else { return }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveFiles.Failure(path: root, what: "open") }
        let synced = strata_syncfs(fd)
        close(fd)
        guard synced == 0 else { throw ArchiveFiles.Failure(path: root, what: "flush the file system of") }
        var folders = Set<String>()
        var done = 0
        defer {
            pending.removeFirst(done)
            if pending.isEmpty { pendingBytes = 0 }
        }
        for p in pending {
            guard rename(p.tmp, p.path) == 0 else { throw ArchiveFiles.Failure(path: p.path, what: "rename onto") }
            done += 1
            folders.insert((p.path as NSString).deletingLastPathComponent)
        }
        for f in folders { ArchiveFiles.syncFolder(f) }
    }
}
