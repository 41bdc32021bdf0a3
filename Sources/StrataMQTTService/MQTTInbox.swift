import Foundation
import Logging
import StrataConfig
import StrataCore
import StrataMQTT
import StrataMQTTLink
import StrataSampler
import Synchronization

/// The messages of `driver = "mqtt"` devices, decoded as they arrive (on libmosquitto's
/// thread) and held until the sampler's next round takes them. Bounded: a device flooding its
/// topic keeps at most `perDevice` messages a round; what is malformed is counted, never kept.
public final class MQTTInbox: MessageInbox {
    public static let perDevice = 600

    struct Source: Sendable {
        var device: String
        var topic: String
        var decoder: IngestDecoder
    }

    let sources: [Source]
    private let held = Mutex<[String: InboxTaken]>([:])
    private let link: MQTTLink

    public init(config: StrataConfig, settings: StrataConfig.MQTT) throws(MQTTError) {
        sources = config.devices.compactMap { d in
            d.mqttSource.map {
                Source(
                    device: d.id, topic: $0.topic,
                    decoder: IngestDecoder(paths: $0.paths, timePath: $0.timePath, zone: config.site.zone))
            }
        }
        // A client of its own (id "<client_id>-in"): subscriptions and publishing stay apart.
        link = try MQTTLink(settings.linkSettings(clientID: settings.clientID + "-in"))
    }

    /// `now`: the sampler's clock, which stamps messages without a time of their own.
    public func start(now: @escaping @Sendable () -> Double, onChange: @escaping @Sendable (InboxLink) -> Void) throws {
        link.subscribe(Array(Set(sources.map(\.topic)))) { [weak self] topic, payload in
            self?.received(topic: topic, payload: payload, arrival: Int64(now()))
        }
        try link.start { change in
            switch change {
            case .connected: onChange(.connected)
            case .refused(_, let reason): onChange(.refused(reason: reason))
            case .lost(let reason): onChange(.lost(reason: reason))
            }
        }
    }

    public func stop() { link.stop() }

    /// One message: decoded for every device whose topic it matches.
    public func received(topic: String, payload: [UInt8], arrival: Int64) {
        for src in sources where Self.matches(filter: src.topic, topic: topic) {
            let r = src.decoder.decode(payload, arrival: arrival)
            held.withLock { all in
                var t = all[src.device] ?? InboxTaken()
                switch r {
                case .success(let reading):
                    if t.readings.count < Self.perDevice { t.readings.append(reading) } else { t.dropped += 1 }
                case .failure(let f):
                    t.malformed += 1
                    t.lastFailure = f.description
                }
                all[src.device] = t
            }
        }
    }

    /// What arrived for a device since the last call.
    public func take(_ device: String) -> InboxTaken {
        held.withLock { $0.removeValue(forKey: device) } ?? InboxTaken()
    }

    /// The inbox of a config's MQTT devices; nil without any, or (logged) when the client cannot
    /// be set up: the other meters are sampled all the same, the MQTT ones are gaps.
    public static func make(config: StrataConfig, logger: Logger) -> MQTTInbox? {
        guard let m = config.mqtt, config.devices.contains(where: { $0.mqttSource != nil }) else { return nil }
        do {
            return try MQTTInbox(config: config, settings: m)
        } catch {
            logger.error(
                "mqtt devices: cannot set up the client; their minutes are gaps", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// MQTT topic filters: `+` one level, `#` the rest.
    static func matches(filter: String, topic: String) -> Bool {
        let f = filter.split(separator: "/", omittingEmptySubsequences: false)
        let t = topic.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in f.enumerated() {
            if level == "#" { return true }
            guard i < t.count else { return false }
            if level != "+" && level != t[i] { return false }
        }
        return f.count == t.count
    }
}
