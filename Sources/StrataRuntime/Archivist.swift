import StrataArchive
import StrataConfig
import StrataDatabase
import StrataStore

/// Keeps the CSV archive tree up to date on its own thread and its own connection to the
/// store: a long catch-up (after a back-fill or a long stop) never holds up the sampler's writes.
public actor Archivist {
    private nonisolated let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let store: Store
    let writer: ArchiveWriter

    public init(config: StrataConfig) throws(StoreError) {
        executor = ThreadExecutor(name: "strata.archive")
        store = try config.makeStore()
        var w = ArchiveWriter(
            store: store, root: config.archive.path, dialects: config.archive.dialects,
            devices: config.devices.map(\.id), prune: config.archive.prune, siteName: config.site.name)
        w.reactiveLimits = config.reactiveLimits
        writer = w
        writer.sweepTemporaries()
    }

    public func refresh() throws -> ArchiveWriter.Summary {
        try store.reloadWatermark()
        return try writer.run()
    }
}
