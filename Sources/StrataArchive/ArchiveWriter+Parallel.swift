import Foundation
import Logging
import StrataCore
import StrataStore

extension ArchiveWriter {
    /// Writes the files of `list`'s periods. More than one period (a rebuild, the catch-up
    /// after a back-fill) is split with a helper thread that has its own connection to the
    /// store, so both cores encode and write; the helper is joined before this returns.
    func processAll(
        _ tier: Tier, _ list: [(start: Int64, end: Int64, full: Bool)], watermark w: Int64,
        firstData: [String: Int64], records: inout [String: ArchiveFileRecord], summary: inout Summary
    ) throws {
        let parallel = list.count >= 2 && ProcessInfo.processInfo.activeProcessorCount > 1
        let mine = parallel ? Array(list.prefix(list.count / 2)) : list
        let theirs = parallel ? Array(list.dropFirst(list.count / 2)) : []
        let helper = HelperRun()
        let initial = records
        var thread: Thread?
        if !theirs.isEmpty {
            let (path, specs, calendar, root, dialects, devices, prune, siteName, logger, start) =
                (
                    store.path, store.channels.map(\.spec), store.calendar, root, dialects,
                    targets.filter { !$0.qualified }.map(\.folder),
                    prune, siteName, logger, records
                )
            let t = Thread {
                do {
                    let other = try Store(path: path, channels: specs, calendar: calendar, logger: logger)
                    let writer = ArchiveWriter(
                        store: other, root: root, dialects: dialects, devices: devices, prune: prune,
                        siteName: siteName, logger: logger)
                    var records = start
                    var summary = Summary()
                    let staged = StagedFiles(root: root)
                    for p in theirs {
                        try writer.process(
                            tier, period: (p.start, p.end), forceFull: p.full, watermark: w, firstData: firstData,
                            staged: staged, records: &records, summary: &summary)
                    }
                    try staged.flush()
                    helper.finish(records: records, summary: summary, error: nil)
                } catch {
                    helper.finish(records: [:], summary: Summary(), error: error)
                }
            }
            t.stackSize = 8 << 20
            t.start()
            thread = t
        }
        var failure: (any Error)?
        do {
            let staged = StagedFiles(root: root)
            for p in mine {
                try process(
                    tier, period: (p.start, p.end), forceFull: p.full, watermark: w, firstData: firstData,
                    staged: staged, records: &records, summary: &summary)
            }
            try staged.flush()
        } catch {
            failure = error
        }
        guard thread != nil else {
            if let failure { throw failure }
            return
        }
        // Always join the helper, even when this half failed: it must not outlive the run.
        let (theirRecords, theirSummary, theirError) = helper.wait()
        if let failure { throw failure }
        if let theirError { throw theirError }
        // Only what the helper changed: a record it merely carried along may be one this
        // thread has since updated (a file closed at midnight), which must not be undone.
        for (k, v) in theirRecords where initial[k] != v { records[k] = v }
        summary.created += theirSummary.created
        summary.appended += theirSummary.appended
        summary.replaced += theirSummary.replaced
        summary.unchanged += theirSummary.unchanged
        summary.closed += theirSummary.closed
    }
}

/// The result of the helper thread of `processAll`, handed over under a lock.
private final class HelperRun: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: ([String: ArchiveFileRecord], ArchiveWriter.Summary, (any Error)?) = (
        [:], ArchiveWriter.Summary(), nil
    )

    func finish(records: [String: ArchiveFileRecord], summary: ArchiveWriter.Summary, error: (any Error)?) {
        lock.withLock { result = (records, summary, error) }
        done.signal()
    }

    func wait() -> ([String: ArchiveFileRecord], ArchiveWriter.Summary, (any Error)?) {
        done.wait()
        return lock.withLock { result }
    }
}
