import Foundation
import StrataCore

/// The contents of `strata.toml`, checked and with relative paths resolved.
public struct StrataConfig: Sendable {
    public struct Site: Sendable {
        public var name: String
        public var timezone: String
        public var zone: ZoneRules
        public var calendar: SiteCalendar { SiteCalendar(zone: zone) }
    }

    public struct Storage: Sendable {
        /// Absolute path of the SQLite file.
        public var path: String
        public var budget: ByteSize?
    }

    public struct Archive: Sendable {
        public var path: String
        public var dialects: [CSVDialect]
        public var prune: Bool
    }

    public struct Device: Sendable {
        public var id: String
        public var name: String
        public var driver: String
        public var channels: [ChannelSpec]
    }

    /// The file this config came from (absolute), for messages.
    public var file: String
    public var site: Site
    public var storage: Storage
    public var retention: [Tier: Span]
    public var archive: Archive
    public var devices: [Device]

    public func device(_ id: String) -> Device? { devices.first { $0.id == id } }

    public var allChannels: [ChannelSpec] { devices.flatMap(\.channels) }

    /// Retention defaults: minute 400 days, quarter 3 years, hour 10 years, coarser forever.
    public static let defaultRetention: [Tier: Span] = [
        .minute: Span(seconds: 400 * 86_400),
        .quarter: Span(seconds: 3 * 31_556_952),
        .hour: Span(seconds: 10 * 31_556_952),
        .day: .forever, .month: .forever, .year: .forever,
    ]
}

/// A config mistake, pointing at the file, line and key.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
