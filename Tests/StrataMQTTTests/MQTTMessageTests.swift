import Foundation
import StrataCore
import StrataMQTT
import Testing

/// The messages of a minute and Home Assistant's discovery configs, as JSON a consumer parses.
struct MQTTMessageTests {
    static let berlin = ZoneRules(identifier: "Europe/Berlin")!
    static let energy = ChannelSpec(
        device: "main", id: "energy_import", name: "Energy import", unit: "kWh", kind: .counter,
        resolution: Resolution(decimals: 3))
    static let power = ChannelSpec(
        device: "main", id: "power", unit: "W", kind: .gauge, resolution: Resolution(decimals: 1))

    static func json(_ m: MQTTMessage) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any])
    }

    @Test func aMinuteIsOneMessagePerChannelAndAStatePerDevice() throws {
        let mm = MinuteMessages(prefix: "strata/site", zone: Self.berlin, retain: true)
        // 2026-12-02 13:00 Berlin (+01:00).
        let msgs = mm.messages(
            minute: 1_796_212_800,
            values: [.init(channel: Self.energy, value: 1234.5670001), .init(channel: Self.power, value: 812.25)])
        #expect(
            msgs.map(\.topic) == ["strata/site/main/energy_import", "strata/site/main/power", "strata/site/main/state"])
        #expect(msgs.allSatisfy { $0.retain })
        let e = try Self.json(msgs[0])
        #expect(e["t"] as? String == "2026-12-02T13:00:00+01:00")
        #expect(e["v"] as? Double == 1234.567)
        #expect(e["unit"] as? String == "kWh")
        #expect(msgs[0].text == #"{"t":"2026-12-02T13:00:00+01:00","v":1234.567,"unit":"kWh"}"#)
        let state = try Self.json(msgs[2])
        #expect(state["energy_import"] as? Double == 1234.567 && state["power"] as? Double == 812.3)
    }

    @Test func summerTimeHasItsOwnOffset() {
        #expect(MinuteMessages.isoTime(1_783_000_000 - 1_783_000_000 % 60, zone: Self.berlin).hasSuffix("+02:00"))
    }

    @Test(arguments: [
        ("kWh", ChannelKind.counter, "main", "energy", "total_increasing", "kWh"),
        ("Wh", .counter, "main", "energy", "total_increasing", "Wh"),
        ("W", .gauge, "main", "power", "measurement", "W"),
        ("V", .gauge, "main", "voltage", "measurement", "V"),
        ("A", .gauge, "main", "current", "measurement", "A"),
        ("Hz", .gauge, "main", "frequency", "measurement", "Hz"),
        ("m3", .counter, "water", "water", "total_increasing", "m³"),
        ("m³", .counter, "gas", "gas", "total_increasing", "m³"),
        ("L", .counter, "water", "water", "total_increasing", "L"),
        ("m³/h", .gauge, "water", "volume_flow_rate", "measurement", "m³/h"),
    ])
    func homeAssistantClasses(
        unit: String, kind: ChannelKind, device: String, deviceClass: String, stateClass: String, haUnit: String
    ) {
        let c = ChannelSpec(device: device, id: "x", unit: unit, kind: kind)
        let k = Discovery.classes(c, deviceName: device)
        #expect(k.deviceClass == deviceClass && k.stateClass == stateClass && k.unit == haUnit)
    }

    @Test func aDiscoveryConfigIsWhatHomeAssistantReads() throws {
        let mm = MinuteMessages(prefix: "strata/werk-sued", zone: Self.berlin, retain: true)
        let d = Discovery(discoveryPrefix: "homeassistant", messages: mm, site: "Werk Süd")
        let m = d.config(Self.energy, deviceName: "Main \"meter\"", model: "eastron-sdm630")
        #expect(m.retain)
        #expect(m.topic == "homeassistant/sensor/strata_werk_s_d_main/energy_import/config")
        let j = try Self.json(m)
        #expect(j["state_topic"] as? String == "strata/werk-sued/main/energy_import")
        #expect(j["value_template"] as? String == "{{ value_json.v }}")
        #expect(j["device_class"] as? String == "energy" && j["state_class"] as? String == "total_increasing")
        #expect(j["unit_of_measurement"] as? String == "kWh")
        #expect(j["unique_id"] as? String == "strata_werk_s_d_main_energy_import")
        #expect(j["suggested_display_precision"] as? Int == 3)
        let avail = try #require(j["availability"] as? [[String: Any]])
        #expect(
            avail.compactMap { $0["topic"] as? String } == [
                "strata/werk-sued/status", "strata/werk-sued/main/availability",
            ])
        let dev = try #require(j["device"] as? [String: Any])
        #expect(dev["name"] as? String == "Main \"meter\"" && dev["model"] as? String == "eastron-sdm630")
        #expect(dev["identifiers"] as? [String] == ["strata_werk_s_d_main"])
    }

    @Test func theBacklogKeepsTheNewestMinutesAndCountsWhatItDrops() {
        var b = Backlog(capacity: 3)
        for m in 0..<5 {
            b.append(
                minute: Int64(m * 60),
                [
                    MQTTMessage(topic: "t", payload: [UInt8(m)], retain: false),
                    MQTTMessage(topic: "u", payload: [], retain: false),
                ])
        }
        #expect(b.count == 3 && b.dropped == 4)
        #expect(b.first?.minute == 120)
        b.removeFirst()
        #expect(b.first?.minute == 180 && b.count == 2)
        b.removeFirst()
        b.removeFirst()
        #expect(b.isEmpty && b.first == nil)
        // Many more than its capacity: memory stays bounded, order stays oldest first.
        for m in 0..<10_000 { b.append(minute: Int64(m), []) }
        #expect(b.count == 3 && b.first?.minute == 9_997)
    }
}
