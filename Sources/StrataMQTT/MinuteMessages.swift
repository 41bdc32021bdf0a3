import Foundation
import StrataCore

/// One MQTT message: topic, payload, and whether the broker keeps it for later subscribers.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var retain: Bool

    public init(topic: String, payload: [UInt8], retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }

    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// The messages of one written minute: per channel `<prefix>/<device>/<channel>` with
/// `{"t": "2026-12-02T13:00:00+01:00", "v": 1234.567, "unit": "kWh"}`, and per device
/// `<prefix>/<device>/state` with every channel of the minute.
public struct MinuteMessages: Sendable {
    public let prefix: String
    public let zone: ZoneRules
    public let retain: Bool

    public init(prefix: String, zone: ZoneRules, retain: Bool) {
        self.prefix = prefix
        self.zone = zone
        self.retain = retain
    }

    /// A reading of one channel at a minute.
    public struct Value: Sendable, Equatable {
        public var channel: ChannelSpec
        public var value: Double

        public init(channel: ChannelSpec, value: Double) {
            self.channel = channel
            self.value = value
        }
    }

    public func channelTopic(device: String, channel: String) -> String { "\(prefix)/\(device)/\(channel)" }
    public func stateTopic(device: String) -> String { "\(prefix)/\(device)/state" }
    public func availabilityTopic(device: String) -> String { "\(prefix)/\(device)/availability" }
    /// Strata's own presence: `online` while connected, `offline` as its last will.
    public var statusTopic: String { "\(prefix)/status" }

    /// Strata's presence (retained; `offline` is also its last will).
    public func status(online: Bool) -> MQTTMessage {
        MQTTMessage(topic: statusTopic, payload: Array((online ? "online" : "offline").utf8), retain: true)
    }

    /// The minute's messages, devices in the order given, channels in config order.
    public func messages(minute: Int64, values: [Value]) -> [MQTTMessage] {
        let t = Self.isoTime(minute, zone: zone)
        var out: [MQTTMessage] = []
        var byDevice: [(String, [Value])] = []
        for v in values {
            if let i = byDevice.firstIndex(where: { $0.0 == v.channel.device }) {
                byDevice[i].1.append(v)
            } else {
                byDevice.append((v.channel.device, [v]))
            }
        }
        for (device, vs) in byDevice {
            var state = JSONText()
            state.open()
            state.key("t")
            state.string(t)
            for v in vs {
                var one = JSONText()
                one.open()
                one.key("t")
                one.string(t)
                one.key("v")
                one.number(v.value, v.channel.resolution)
                one.key("unit")
                one.string(v.channel.unit)
                one.close()
                out.append(
                    MQTTMessage(
                        topic: channelTopic(device: device, channel: v.channel.id), payload: one.bytes, retain: retain))
                state.key(v.channel.id)
                state.number(v.value, v.channel.resolution)
            }
            state.close()
            out.append(MQTTMessage(topic: stateTopic(device: device), payload: state.bytes, retain: retain))
        }
        return out
    }

    /// `2026-12-02T13:00:00+01:00`: local time with its offset, as Home Assistant and people read it.
    public static func isoTime(_ t: Int64, zone: ZoneRules) -> String {
        let off = zone.offset(at: t)
        // "YYYY-MM-DD hh:mm:ss" with a T for the space.
        let local = LocalDateTime(secondsSinceEpoch: t + Int64(off)).description
        return local.replacingOccurrences(of: " ", with: "T") + formatOffset(off)
    }
}

/// A small JSON writer: objects of strings, numbers and booleans, escaped by the spec.
struct JSONText {
    private(set) var bytes: [UInt8] = []
    private var first = true

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    mutating func close() { bytes.append(UInt8(ascii: "}")) }

    mutating func key(_ k: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(k)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A nested object's key: the object opens after it.
    mutating func object(_ k: String) {
        key(k)
        open()
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for u in s.unicodeScalars {
            switch u {
            case "\"": bytes += Array("\\\"".utf8)
            case "\\": bytes += Array("\\\\".utf8)
            case "\n": bytes += Array("\\n".utf8)
            case "\r": bytes += Array("\\r".utf8)
            case "\t": bytes += Array("\\t".utf8)
            default:
                if u.value < 0x20 {
                    let hex = Array("0123456789abcdef".utf8)
                    bytes += Array("\\u00".utf8) + [hex[Int(u.value >> 4)], hex[Int(u.value & 15)]]
                } else {
                    bytes += Array(String(u).utf8)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
        first = false
    }

    mutating func number(_ v: Double, _ r: Resolution) {
        Decimal.append(steps: r.steps(v), decimals: r.decimals, to: &bytes)
    }

    /// Raw JSON text (a number, a literal array) where the writer has no helper.
    mutating func bytesAppend(_ raw: String) {
        bytes += Array(raw.utf8)
        first = false
    }

    mutating func bool(_ b: Bool) { bytes += Array((b ? "true" : "false").utf8) }

    mutating func strings(_ list: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, s) in list.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
