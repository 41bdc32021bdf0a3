import Foundation
import Logging
import Metrics
import ServiceLifecycle
import StrataConfig
import StrataCore
import StrataMQTT
import StrataMQTTLink
import StrataStore

/// Publishes every written minute to the broker of `[mqtt]`, with Home Assistant discovery and
/// availability. The broker being down costs nothing but a backlog (bounded, newest kept) that
/// is published oldest first once it is back; the sampler never waits for it.
public struct MQTTService: Service, CustomStringConvertible {
    public var description: String { "MQTTService(\(settings.host):\(settings.port))" }
    let settings: StrataConfig.MQTT
    let site: Site
    let store: any WrittenMinutes
    let logger: Logger

    public init(settings: StrataConfig.MQTT, site: Site, store: any WrittenMinutes, logger: Logger) {
        self.site = site
        self.settings = settings
        self.store = store
        self.logger = logger
    }

    enum Input: Sendable {
        case written(WrittenBatch)
        case link(MQTTLink.Change)
    }

    public func run() async throws {
        // A broken [mqtt] setup (an unreadable password file, a bad certificate) is logged and
        // leaves the rest of Strata running: a service that ended would stop the whole group.
        let client: MQTTLink
        let messages = MinuteMessages(prefix: settings.topicPrefix, zone: site.zone, retain: settings.retain)
        do {
            client = try MQTTLink(
                settings.linkSettings(clientID: settings.clientID, will: messages.status(online: false)))
        } catch {
            logger.error("mqtt: not publishing; fix [mqtt] and restart", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        let s = settings
        let (inputs, feed) = AsyncStream.makeStream(of: Input.self, bufferingPolicy: .unbounded)
        let written = await store.subscribe(bufferingNewest: max(2, s.backlogMinutes))
        do {
            try client.start { feed.yield(.link($0)) }
        } catch {
            logger.error("mqtt: not publishing; fix [mqtt] and restart", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        var publisher = Publisher(settings: s, site: site, messages: messages, client: client, logger: logger)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await b in written { feed.yield(.written(b)) }
            }
            group.addTask {
                // Ends the input stream at shutdown; the loop below then says goodbye.
                try? await gracefulShutdown()
                feed.finish()
            }
            for await input in inputs {
                switch input {
                case .written(let b): publisher.written(b)
                case .link(let c): publisher.linkChanged(c)
                }
            }
            group.cancelAll()
        }
        publisher.goodbye()
        // The broker gets a moment to take "offline" before the disconnect.
        try? await Task.sleep(for: .milliseconds(200))
        client.stop()
    }
}

/// The service's state between inputs: the backlog, availability, and what was said.
struct Publisher {
    let settings: StrataConfig.MQTT
    let site: MQTTService.Site
    let messages: MinuteMessages
    let client: MQTTLink
    let logger: Logger
    var backlog: Backlog
    var connected = false
    var lastChange: String?
    /// Device availability as last published (nil: not yet).
    var available: [String: Bool] = [:]
    var reportedDropped = 0

    init(
        settings: StrataConfig.MQTT, site: MQTTService.Site, messages: MinuteMessages, client: MQTTLink, logger: Logger
    ) {
        self.settings = settings
        self.site = site
        self.messages = messages
        self.client = client
        self.logger = logger
        backlog = Backlog(capacity: max(1, settings.backlogMinutes))
        // Calculated channels have no meter to fail: always there while Strata is.
        for dev in site.devices where dev.alwaysAvailable { available[dev.id] = true }
    }

    mutating func written(_ b: WrittenBatch) {
        // Availability follows the devices' status (a failing meter is offline), on change.
        var changes: [MQTTMessage] = []
        for st in b.statuses {
            let up = st.consecutiveFailures == 0
            if available[st.device] != up {
                available[st.device] = up
                changes.append(availability(st.device, up))
            }
        }
        var byMinute: [Int64: [MinuteMessages.Value]] = [:]
        for v in b.values { byMinute[v.ts, default: []].append(.init(channel: v.channel, value: v.value)) }
        let minutes = byMinute.keys.sorted()
        for m in minutes {
            // The statuses are the round's, so they go with its newest minute.
            backlog.append(
                minute: m, messages.messages(minute: m, values: byMinute[m] ?? []) + (m == minutes.last ? changes : []))
        }
        // A round where no meter answered: availability only.
        if minutes.isEmpty, !changes.isEmpty, let t = b.statuses.compactMap(\.lastAttempt).max() {
            backlog.append(minute: t, changes)
        }
        if backlog.dropped > reportedDropped {
            Counter(label: "strata_mqtt_dropped_messages_total").increment(by: backlog.dropped - reportedDropped)
            if reportedDropped == 0 {
                logger.warning(
                    "mqtt: backlog full; the oldest minutes are dropped (raise mqtt.backlog_minutes?)",
                    metadata: ["backlog_minutes": "\(settings.backlogMinutes)"])
            }
            reportedDropped = backlog.dropped
        }
        flush()
    }

    mutating func linkChanged(_ c: MQTTLink.Change) {
        // One log line per change of state, not one per retry.
        let kind = c.state
        if kind != lastChange {
            switch c {
            case .connected:
                logger.notice(
                    "mqtt: connected",
                    metadata: ["broker": "\(settings.host):\(settings.port)", "backlog_minutes": "\(backlog.count)"])
            case .refused(let code, let reason):
                logger.error(
                    "mqtt: the broker refused the connection; retrying (check mqtt.username and password_file)",
                    metadata: ["code": "\(code)", "reason": "\(reason)"])
            case .lost(let reason):
                logger.warning(
                    "mqtt: not connected; retrying with backoff, minutes kept in the backlog",
                    metadata: ["reason": "\(reason)"])
            }
            lastChange = kind
        }
        connected = c == .connected
        guard connected else { return }
        // A new session: who we are, what we publish, then what waited.
        var hello = [messages.status(online: true)]
        if settings.discovery { hello += discoveryConfigs() }
        for (d, up) in available { hello.append(availability(d, up)) }
        for m in hello {
            do { try client.publish(m, qos: settings.qos) } catch {
                connected = false
                return
            }
        }
        flush()
    }

    func availability(_ device: String, _ up: Bool) -> MQTTMessage {
        MQTTMessage(
            topic: messages.availabilityTopic(device: device), payload: Array((up ? "online" : "offline").utf8),
            retain: true)
    }

    func discoveryConfigs() -> [MQTTMessage] {
        let d = Discovery(discoveryPrefix: settings.discoveryPrefix, messages: messages, site: site.name)
        var out: [MQTTMessage] = []
        for dev in site.devices {
            for c in dev.channels { out.append(d.config(c, deviceName: dev.name, model: dev.model)) }
        }
        return out
    }

    /// Publishes the backlog oldest first while the broker is there.
    mutating func flush() {
        while connected, let first = backlog.first {
            for m in first.messages {
                do { try client.publish(m, qos: settings.qos) } catch {
                    // The minute stays for the next connection (its messages published so far
                    // go again: a duplicate only in this instant, as with mail).
                    connected = false
                    return
                }
            }
            backlog.removeFirst()
        }
    }

    func goodbye() {
        try? client.publish(messages.status(online: false), qos: settings.qos)
    }
}
