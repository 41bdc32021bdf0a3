import Foundation

/// A serial executor backed by one dedicated thread, for actors whose work blocks (SQLite):
/// their jobs never occupy a thread of the cooperative pool.
public final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    public init(name: String) {
        // Weak, not unowned: the thread may first run after an executor made and dropped at
        // once is gone (seen in CI as "read an unowned reference ... already destroyed").
        // Once running, the loop holds its executor for the life of the process.
        let thread = Thread { [weak self] in self?.loop() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let j = UnownedJob(job)
        condition.lock()
        jobs.append(j)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for j in batch { j.runSynchronously(on: asUnownedSerialExecutor()) }
        }
    }
}
