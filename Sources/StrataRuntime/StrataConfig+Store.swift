import Logging
import StrataConfig
import StrataStore

extension StrataConfig {
    /// The store this config names, with its channels, calendar, retention and budget: every
    /// owner (the CLI, the store actor, the archivist's own connection) opens it so.
    public func makeStore(timezoneChange: TimezoneChange = .refuse, migrating: Bool = false) throws(StoreError) -> Store
    {
        try Store(
            path: storage.path, channels: allChannels, calendar: site.calendar, retention: retention,
            budget: storage.budget, logger: Logger(label: "strata.store"), timezoneChange: timezoneChange,
            migrating: migrating)
    }

    /// A read-only connection to the store the writer opened (`Store(reading:)`): the readers
    /// beside it (the reports) create, register and migrate nothing.
    public func makeStoreReader() throws(StoreError) -> Store {
        try Store(
            reading: storage.path, channels: allChannels, calendar: site.calendar, retention: retention,
            budget: storage.budget, logger: Logger(label: "strata.store"))
    }
}
