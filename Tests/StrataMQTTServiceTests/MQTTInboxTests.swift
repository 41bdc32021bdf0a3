import Foundation
import StrataConfig
import StrataCore
import StrataSampler
import StrataTestSupport
import Testing

@testable import StrataMQTTService

/// The inbox the sampler takes MQTT meters' messages from, fed as libmosquitto's thread feeds
/// it (no broker needed for what it keeps): decoded per device, malformed ones counted, a flood
/// bounded, topic filters as MQTT has them.
struct MQTTInboxTests {
    static func inbox() throws -> MQTTInbox {
        let text =
            SiteTOML.header(timezone: "UTC", store: "/tmp/unused.sqlite") + """

                [mqtt]
                url = "mqtt://127.0.0.1:1"

                [[devices]]
                id = "meter1"
                driver = "mqtt"
                topic = "tele/+/SENSOR"

                  [[devices.channels]]
                  id = "energy"
                  unit = "kWh"
                  kind = "counter"
                  path = "ENERGY.Total"

                """
        let config = try StrataConfig.parse(text, file: "/tmp/strata.toml")
        return try #require(MQTTInbox.make(config: config, logger: .init(label: "test")))
    }

    @Test func messagesAreDecodedPerDeviceAndTakenOnce() throws {
        let inbox = try Self.inbox()
        inbox.received(topic: "tele/meter1/SENSOR", payload: Array(#"{"ENERGY":{"Total":12.5}}"#.utf8), arrival: 60)
        inbox.received(topic: "tele/meter1/SENSOR", payload: Array("not json".utf8), arrival: 61)
        inbox.received(topic: "tele/meter1/STATE", payload: Array(#"{"ENERGY":{"Total":99}}"#.utf8), arrival: 62)
        let t = inbox.take("meter1")
        #expect(t.readings.count == 1)
        #expect(t.readings.first?.values == [12.5])
        #expect(t.readings.first?.ts == 60)
        #expect(t.malformed == 1 && t.lastFailure != nil)
        #expect(inbox.take("meter1").readings.isEmpty, "taken once")
    }

    @Test func aFloodIsBounded() throws {
        let inbox = try Self.inbox()
        for i in 0..<(MQTTInbox.perDevice + 5) {
            inbox.received(
                topic: "tele/x/SENSOR", payload: Array(#"{"ENERGY":{"Total":\#(i)}}"#.utf8), arrival: Int64(i))
        }
        let t = inbox.take("meter1")
        #expect(t.readings.count == MQTTInbox.perDevice)
        #expect(t.dropped == 5)
    }

    @Test(arguments: [
        ("tele/+/SENSOR", "tele/a/SENSOR", true), ("tele/+/SENSOR", "tele/a/b/SENSOR", false),
        ("tele/#", "tele/a/b", true), ("tele/a", "tele/a/b", false), ("a/b", "a/b", true),
    ])
    func topicFilters(_ filter: String, _ topic: String, _ matches: Bool) {
        #expect(MQTTInbox.matches(filter: filter, topic: topic) == matches)
    }
}
