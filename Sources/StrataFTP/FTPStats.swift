import Foundation
import Metrics

/// What a server has served since it started (for the log and STAT).
public final class FTPStats: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: Int64 = 0
    private var files: Int64 = 0

    public init() {}

    func served(bytes n: Int64) {
        Counter(label: "strata_ftp_bytes_served_total").increment(by: n)
        Counter(label: "strata_ftp_files_served_total").increment()
        lock.withLock {
            bytes += n
            files += 1
        }
    }

    /// Bytes of files sent (RETR) and how many transfers sent them.
    public var snapshot: (bytes: Int64, files: Int64) { lock.withLock { (bytes, files) } }
}
