import StrataCore
import StrataStore

/// The AMPds2 datasets' zone.
public let vancouver = SiteCalendar(zone: ZoneRules(identifier: "America/Vancouver")!)

/// A store file in `dir` with these channels.
public func openStore(
    _ dir: TempDir, _ specs: [ChannelSpec], calendar: SiteCalendar = vancouver, name: String = "s.sqlite",
    retention: [Tier: Span] = [:], budget: ByteSize? = nil
) throws -> Store {
    try Store(path: dir.file(name), channels: specs, calendar: calendar, retention: retention, budget: budget)
}
