import StrataStore

/// The minutes as the store's writer commits them: the publisher subscribes and is told after
/// each commit, never waited for (a slow broker cannot hold up a write).
public protocol WrittenMinutes: Sendable {
    /// Keeps the newest `bufferingNewest` batches for a slow reader.
    func subscribe(bufferingNewest n: Int) async -> AsyncStream<WrittenBatch>
}
