import Foundation
import StrataCore

extension StrataConfig {
    /// The `[mqtt]` section: every written minute to a broker, with Home Assistant discovery.
    public struct MQTT: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// `mqtts://`: TLS, checked against `ca_file` (or the system's trust store).
        public var tls: Bool
        public var caFile: String?
        /// A client certificate and key (PEM), for brokers that ask for one.
        public var certFile: String?
        public var keyFile: String?
        public var username: String?
        public var passwordFile: String?
        public var clientID: String
        /// Topics are `<prefix>/<device>/<channel>`.
        public var topicPrefix: String
        public var qos: Int = 1
        /// The latest value stays on the broker for whoever subscribes next.
        public var retain = true
        /// Home Assistant discovery configs under `discovery_prefix`.
        public var discovery = true
        public var discoveryPrefix = "homeassistant"
        /// Minutes kept for a broker that is down, newest kept; published oldest first after it
        /// is back.
        public var backlogMinutes = 60

        public init(host: String, port: Int, tls: Bool, clientID: String, topicPrefix: String) {
            self.host = host
            self.port = port
            self.tls = tls
            self.clientID = clientID
            self.topicPrefix = topicPrefix
        }

        /// `mqtt://host[:port]` or `mqtts://host[:port]`; nil when it is neither.
        public static func parseURL(_ s: String) -> (host: String, port: Int, tls: Bool)? {
            let tls: Bool
            let rest: Substring
            if s.hasPrefix("mqtt://") {
                tls = false
                rest = s.dropFirst(7)
            } else if s.hasPrefix("mqtts://") {
                tls = true
                rest = s.dropFirst(8)
            } else {
                return nil
            }
            let hostPort = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            var host = String(hostPort)
            var port = tls ? 8883 : 1883
            if hostPort.hasPrefix("[") {
                // [::1]:1883
                guard let close = hostPort.firstIndex(of: "]") else { return nil }
                host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
                let after = hostPort[hostPort.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }
                    port = p
                } else if !after.isEmpty {
                    return nil
                }
            } else if let colon = hostPort.lastIndex(of: ":") {
                host = String(hostPort[..<colon])
                guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                    return nil
                }
                port = p
            }
            guard !host.isEmpty, !host.contains("@") else { return nil }
            return (host, port, tls)
        }
    }
}

extension Reader {
    static let mqttKeys: Set<String> = [
        "url", "username", "password_file", "client_id", "topic_prefix", "qos", "retain", "discovery",
        "discovery_prefix",
        "ca_file", "cert_file", "key_file", "backlog_minutes",
    ]

    func mqtt(_ root: TOMLTable, site: StrataConfig.Site) throws(ConfigError) -> StrataConfig.MQTT? {
        guard let t = try table(root, "mqtt", path: "mqtt") else { return nil }
        try checkKeys(t, allowed: Self.mqttKeys, path: "mqtt")
        let url = try string(t, "url", path: "mqtt.url", required: true, tableLine: t.line) ?? ""
        guard let u = StrataConfig.MQTT.parseURL(url) else {
            throw error(
                "mqtt.url", t["url"]?.line,
                "expected mqtt://host:1883 or mqtts://host:8883 (user and password go in username and password_file), found \"\(url)\""
            )
        }
        let slug = Self.topicSlug(site.name)
        var m = StrataConfig.MQTT(
            host: u.host, port: u.port, tls: u.tls, clientID: "strata-\(slug)", topicPrefix: "strata/\(slug)")
        m.username = try string(t, "username", path: "mqtt.username")
        m.passwordFile = try string(t, "password_file", path: "mqtt.password_file").map {
            StrataConfig.absolutePath($0, relativeTo: folder)
        }
        if m.passwordFile != nil && m.username == nil {
            throw error(
                "mqtt.username", t["password_file"]?.line, "missing; a password_file needs the username it belongs to")
        }
        if let c = try string(t, "client_id", path: "mqtt.client_id") {
            guard !c.isEmpty, c.utf8.count <= 64 else {
                throw error("mqtt.client_id", t["client_id"]?.line, "expected 1 to 64 characters")
            }
            m.clientID = c
        }
        if let p = try string(t, "topic_prefix", path: "mqtt.topic_prefix") {
            guard Self.isTopic(p) else {
                throw error(
                    "mqtt.topic_prefix", t["topic_prefix"]?.line,
                    "expected a topic like \"strata/site\" (no +, # or empty levels), found \"\(p)\"")
            }
            m.topicPrefix = p
        }
        if let d = try string(t, "discovery_prefix", path: "mqtt.discovery_prefix") {
            guard Self.isTopic(d) else {
                throw error(
                    "mqtt.discovery_prefix", t["discovery_prefix"]?.line,
                    "expected a topic like \"homeassistant\", found \"\(d)\"")
            }
            m.discoveryPrefix = d
        }
        if let q = try whole(t, "qos", path: "mqtt.qos", 0...2) { m.qos = q }
        if let r = try bool(t, "retain", path: "mqtt.retain") { m.retain = r }
        if let d = try bool(t, "discovery", path: "mqtt.discovery") { m.discovery = d }
        if let b = try whole(t, "backlog_minutes", path: "mqtt.backlog_minutes", 0...10_080) { m.backlogMinutes = b }
        for (key, path) in [("ca_file", \StrataConfig.MQTT.caFile), ("cert_file", \.certFile), ("key_file", \.keyFile)]
        {
            if let f = try string(t, key, path: "mqtt.\(key)") {
                guard u.tls else {
                    throw error("mqtt.\(key)", t[key]?.line, "only for mqtts:// (TLS); the url is mqtt://")
                }
                m[keyPath: path] = StrataConfig.absolutePath(f, relativeTo: folder)
            }
        }
        if (m.certFile == nil) != (m.keyFile == nil) {
            throw error(
                "mqtt.\(m.certFile == nil ? "cert_file" : "key_file")", t.line,
                "missing; a client certificate needs both cert_file and key_file")
        }
        return m
    }

    /// A site name as one topic level: lower case letters, digits and dashes.
    static func topicSlug(_ s: String) -> String {
        var out = ""
        for c in s.lowercased() {
            if c.isASCII && (c.isLetter || c.isNumber) { out.append(c) } else if !out.hasSuffix("-") { out.append("-") }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "site" : trimmed
    }

    static func isTopic(_ s: String) -> Bool {
        !s.isEmpty && !s.contains("+") && !s.contains("#")
            && !s.split(separator: "/", omittingEmptySubsequences: false).contains("") && s.utf8.count < 200
    }
}
