import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written in pieces and put in place whole: a reader sees the old file or the new one.
///
/// For files too big to build in memory first (a fleet's month, every site in it): the pieces
/// go to a temporary file next to the target; `commit` flushes it and renames it over the
/// target, unless the bytes are the same as the target's, so that a refresh leaves an unchanged
/// file (and its time, which mirroring clients compare) alone.
public final class GrowingFile {
    public let path: String
    private let tmp: String
    private var fd: Int32
    private var buffer: [UInt8] = []

    public init(_ path: String) throws {
        let path = ArchiveFiles.absolute(path)
        self.path = path
        try ArchiveFiles.ensureFolder((path as NSString).deletingLastPathComponent)
        tmp = ArchiveFiles.temporary(for: path)
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveFiles.Failure(path: tmp, what: "create") }
    }

    deinit { abandon() }

    public func append(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try drain() }
    }

    private func drain() throws {
        guard fd >= 0 else { throw ArchiveFiles.Failure(path: tmp, what: "write (already finished)") }
        try ArchiveFiles.writeAll(fd, buffer, path: tmp)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Puts the file in place; false when the target already held these bytes.
    @discardableResult
    public func commit() throws -> Bool {
        try drain()
        guard fsync(fd) == 0 else { throw ArchiveFiles.Failure(path: tmp, what: "flush") }
        close(fd)
        fd = -1
        if Self.sameBytes(tmp, path) {
            unlink(tmp)
            return false
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw ArchiveFiles.Failure(path: path, what: "rename onto")
        }
        ArchiveFiles.syncFolder((path as NSString).deletingLastPathComponent)
        return true
    }

    /// Drops what was written; the target stays as it was.
    public func abandon() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(tmp)
    }

    /// The two files hold the same bytes (compared a megabyte at a time).
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        guard let sa = ArchiveFiles.size(a), let sb = ArchiveFiles.size(b), sa == sb,
            let ha = FileHandle(forReadingAtPath: a), let hb = FileHandle(forReadingAtPath: b)
        else { return false }
        defer {
            try? ha.close()
            try? hb.close()
        }
        while true {
            let x = ha.readData(ofLength: 1 << 20)
            let y = hb.readData(ofLength: 1 << 20)
            if x != y { return false }
            if x.isEmpty { return true }
        }
    }
}
