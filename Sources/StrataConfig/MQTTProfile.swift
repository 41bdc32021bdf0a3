import Foundation
import StrataCore

/// An MQTT device profile: what Modbus profiles are for register maps, for the JSON a kind of
/// MQTT meter publishes (`[[values]]`: channel, JSON path, unit, kind, resolution).
public struct MQTTProfile: Sendable, Equatable {
    public struct Value: Sendable, Equatable {
        public var spec: ChannelSpec
        public var path: String
    }

    public var id: String
    public var name: String
    public var timePath: String?
    public var values: [Value]

    static let keys: Set<String> = ["name", "kind", "time_path", "values"]
    static let valueKeys: Set<String> = ["channel", "name", "path", "unit", "kind", "resolution", "rollover"]

    public static func load(name: String, userFolder: String?) throws(ConfigError) -> MQTTProfile {
        let (found, looked) = ProfileLoader.find(name, userFolder: userFolder)
        if let path = found {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw ConfigError(file: path, line: nil, key: "", message: "cannot read the profile")
            }
            return try parse(text, file: path, id: name)
        }
        throw ConfigError(
            file: name, line: nil, key: "",
            message: "no such MQTT profile; looked for \(looked.joined(separator: ", "))")
    }

    public static func parse(_ text: String, file: String, id: String) throws(ConfigError) -> MQTTProfile {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, key: "", message: "syntax error: \(error.message)")
        }
        let r = Reader(file: file, folder: (file as NSString).deletingLastPathComponent)
        guard try r.string(root, "kind", path: "kind") == "mqtt" else {
            throw r.error(
                "kind", root["kind"]?.line,
                "an MQTT profile says kind = \"mqtt\"; this is a register map (use it with a Modbus driver)")
        }
        try r.checkKeys(root, allowed: keys, path: "")
        guard let vn = root["values"], case .array(let items) = vn.value, !items.isEmpty else {
            throw r.error("values", root["values"]?.line, "an MQTT profile needs [[values]] entries")
        }
        var values: [Value] = []
        for (i, item) in items.enumerated() {
            let p = "values[\(i)]"
            guard case .table(let t) = item.value else { throw r.error(p, item.line, "expected a table") }
            try r.checkKeys(t, allowed: valueKeys, path: p)
            let channel = try r.string(t, "channel", path: "\(p).channel", required: true, tableLine: t.line) ?? ""
            try r.checkIdentifier(channel, key: "\(p).channel", line: t["channel"]?.line)
            if values.contains(where: { $0.spec.id == channel }) {
                throw r.error("\(p).channel", t["channel"]?.line, "channel \"\(channel)\" is defined twice")
            }
            let path = try r.string(t, "path", path: "\(p).path", required: true, tableLine: t.line) ?? ""
            let (unit, kind, resolution, rollover, atWidth) = try ProfileLoader.quantity(r, t, path: p)
            if atWidth {
                throw r.error(
                    "\(p).rollover", t["rollover"]?.line, "a JSON value has no register width; give the rollover value")
            }
            let spec = ChannelSpec(
                device: "", id: channel, name: try r.string(t, "name", path: "\(p).name"), unit: unit, kind: kind,
                resolution: resolution, rollover: rollover)
            values.append(Value(spec: spec, path: path))
        }
        return MQTTProfile(
            id: id, name: try r.string(root, "name", path: "name") ?? id,
            timePath: try r.string(root, "time_path", path: "time_path"), values: values)
    }
}
