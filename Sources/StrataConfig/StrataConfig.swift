import Foundation
import StrataAlarms
import StrataCore
import StrataModbus

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
        /// How its readings arrive, with that driver's settings.
        public var driver: Driver
        public var channels: [ChannelSpec]
        /// Seconds between polls (60, or 10/15/20/30 for faster polling).
        public var poll: Int = 60
        /// The profile the channels came from, if any.
        public var profile: DeviceProfile?
        /// For Modbus devices: one register per channel, in the order of `channels`.
        public var registers: [ProfileRegister] = []
        /// An MQTT device's profile (its channels and their JSON paths).
        public var mqttProfile: MQTTProfile?
        /// The first `readCount` channels are read from the device; the rest are derived
        /// (`<gauge>_min` and `<gauge>_max` of devices polled faster than once a minute).
        public var readCount: Int = 0
    }

    /// A device's driver (`driver = "…"`) and what only that driver has.
    public enum Driver: Sendable, Equatable {
        /// Fed by `strata import` only.
        case none
        /// The channels of `[[calculated]]`, derived from other devices' minutes.
        case calculated
        case simulated(Simulation)
        /// `modbus-tcp` or `modbus-rtu`, as the transport says.
        case modbus(ModbusSettings)
        case mqtt(MQTTSource)

        /// The name as `driver = "…"` writes it.
        public var name: String {
            switch self {
            case .none: "none"
            case .calculated: "calculated"
            case .simulated: "simulated"
            case .modbus(let m):
                if case .tcp = m.transport { "modbus-tcp" } else { "modbus-rtu" }
            case .mqtt: "mqtt"
            }
        }
    }

    public enum Transport: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case rtu(serial: String, baud: Int, parity: Parity, dataBits: Int, stopBits: Int)

        /// Devices with the same bus key share one line and are polled one after another.
        public var busKey: String {
            switch self {
            case .tcp(let host, let port): "tcp://\(host):\(port)"
            case .rtu(let serial, _, _, _, _): "rtu://\(serial)"
            }
        }
    }

    public enum Parity: String, Sendable { case none, even, odd }

    public struct ModbusSettings: Sendable, Equatable {
        public var transport: Transport
        public var unitID: Int
        /// Seconds to wait for one answer.
        public var timeout: Double
        /// Extra attempts after a failed read within one poll.
        public var retries: Int
    }

    /// Where an MQTT device's readings come from.
    public struct MQTTSource: Sendable, Equatable {
        public var topic: String
        /// The JSON path of the reading's time (ISO 8601, local without an offset, or epoch
        /// seconds); nil: the time of arrival.
        public var timePath: String?
        /// One per channel, in channel order.
        public var paths: [String] = []

        public init(topic: String, timePath: String?) {
            self.topic = topic
            self.timePath = timePath
        }
    }

    public struct Simulation: Sendable, Equatable {
        public enum Load: String, Sendable, CaseIterable { case electricity, water, gas, heat }
        public var load: Load
        /// Multiplies the load curve (1 = a small office building's share).
        public var size: Double
        /// Quiet spells (seconds): the meter does not answer for `length`, every `every`,
        /// the first starting two minutes after the sampler starts.
        public struct Outage: Sendable, Equatable {
            public var every: Int64
            public var length: Int64

            public init(every: Int64, length: Int64) {
                self.every = every
                self.length = length
            }

            /// Whether the meter is quiet at `t`, for a sampler started at `start`.
            public func isQuiet(at t: Int64, start: Int64) -> Bool {
                let k = t - start - 120
                return k >= 0 && k % every < length
            }
        }
        public var outage: Outage?

        public init(load: Load, size: Double, outage: Outage? = nil) {
            self.load = load
            self.size = size
            self.outage = outage
        }
    }

    /// The file this config came from (absolute), for messages.
    public var file: String
    public var site: Site
    public var storage: Storage
    public var retention: [Tier: Span]
    public var archive: Archive
    public var devices: [Device]
    /// A site's own device profiles (`profiles_dir`), searched before the shipped ones.
    public var profilesDir: String?
    /// The `[ftp]` section; nil: no FTP server.
    public var ftp: FTP?
    /// The `[smtp]` section; nil: reports are written to the outbox folder only.
    public var smtp: SMTP? = nil
    public var reports: [Report] = []
    public var tariffs: [Tariff] = []
    /// `[[holidays]]`: days priced as holidays by the tariffs.
    public var holidays: [HolidayEntry] = []
    public var holidayCalendar: HolidayCalendar { HolidayCalendar(holidays.map(\.holiday)) }
    public var outbox = Outbox(path: "outbox")
    /// The `[web]` section; nil: no web server in `strata run`.
    public var web: Web? = nil
    /// `[mqtt]`: publishing to a broker; nil without the section.
    public var mqtt: MQTT? = nil
    /// `[[alarms]]`, checked against the devices.
    public var alarms: [AlarmRule] = []
    /// `[replication]`: pushing to a central PostgreSQL; nil without the section.
    public var replication: Replication? = nil
    /// `[fleet]`: this box keeps the fleet archive tree; nil without the section.
    public var fleet: Fleet? = nil

    public func device(_ id: String) -> Device? { devices.first { $0.id == id } }

    /// The reactive limits the archive marks days against: the first report's that sets any.
    public var reactiveLimits: ReactiveLimits {
        reports.first { !$0.reactiveLimits.isEmpty }?.reactiveLimits ?? ReactiveLimits()
    }

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
