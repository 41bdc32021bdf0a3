import Foundation
import StrataCore
import StrataModbus

/// Device profiles: the shipped ones and a user's TOML files in `profiles_dir`.
public enum ProfileLoader {
    /// Names of the profiles that ship with Strata.
    public static let shippedNames = [
        "eastron-sdm630", "eastron-sdm120", "carlo-gavazzi-em340", "janitza-umg96rme", "varibits-han2x",
        "sunspec-meter",
        "generic-di8-counter",
    ]

    /// The shipped MQTT profiles (`kind = "mqtt"`: JSON paths instead of registers).
    public static let shippedMQTTNames = ["tasmota-energy"]

    /// The folder holding the shipped profiles: next to the executable (SwiftPM's resource
    /// bundle, also what an install copies), or STRATA_PROFILES for unusual layouts.
    public static func shippedFolder() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["STRATA_PROFILES"] { candidates.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent().path
        let selfExe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map {
            ($0 as NSString).deletingLastPathComponent
        }
        for dir in [selfExe, exe].compactMap({ $0 }) {
            candidates.append("\(dir)/strata_StrataConfig.resources/Profiles")
            candidates.append("\(dir)/strata_StrataConfig.resources")
            candidates.append("\(dir)/../share/strata/profiles")
        }
        candidates += ["/usr/local/share/strata/profiles", "/usr/share/strata/profiles"]
        return candidates.first { FileManager.default.fileExists(atPath: "\($0)/eastron-sdm630.toml") }
    }

    /// Finds a profile by name: the user's folder first (so a site can correct a shipped map),
    /// then the shipped ones.
    public static func load(name: String, userFolder: String?) throws(ConfigError) -> DeviceProfile {
        let (found, looked) = find(name, userFolder: userFolder)
        if let found { return try loadFile(found, id: name) }
        if shippedNames.contains(name) && shippedFolder() == nil {
            throw ConfigError(
                file: looked.first ?? name, line: nil, key: "",
                message:
                    "the shipped profiles are not installed next to the strata binary (strata_StrataConfig.resources); see README, Install"
            )
        }
        throw ConfigError(
            file: name, line: nil, key: "",
            message:
                "no such profile; looked for \(looked.joined(separator: ", ")); shipped: \(shippedNames.joined(separator: ", "))"
        )
    }

    public static func loadFile(_ path: String, id: String) throws(ConfigError) -> DeviceProfile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigError(file: path, line: nil, key: "", message: "cannot read the profile")
        }
        return try parse(text, file: path, id: id)
    }

    static let profileKeys: Set<String> = [
        "name", "function", "word_order", "type", "max_block", "max_gap", "discovery", "registers",
    ]
    static let registerKeys: Set<String> = [
        "channel", "name", "address", "function", "type", "word_order", "scale", "offset", "scale_factor", "unit",
        "kind",
        "resolution", "rollover", "missing", "optional",
    ]

    public static func parse(_ text: String, file: String, id: String) throws(ConfigError) -> DeviceProfile {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, key: "", message: "syntax error: \(error.message)")
        }
        let r = Reader(file: file, folder: (file as NSString).deletingLastPathComponent)
        if case .string("mqtt")? = root["kind"]?.value {
            throw r.error(
                "kind", root["kind"]?.line,
                "this is an MQTT profile (JSON paths, no registers): use it with driver = \"mqtt\"")
        }
        try r.checkKeys(root, allowed: profileKeys, path: "")
        let name = try r.string(root, "name", path: "name") ?? id
        let defaultFunction = try function(r, root, "function", path: "function") ?? .holding
        let defaultOrder = try wordOrder(r, root, "word_order", path: "word_order") ?? .highFirst
        let defaultType = try registerType(r, root, "type", path: "type")
        var maxBlock = ReadPlan.protocolMaximum
        if let m = try r.whole(
            root, "max_block", path: "max_block", 1...125, "a whole number of registers (the Modbus limit is 125)")
        {
            maxBlock = m
        }
        let maxGap = try r.whole(root, "max_gap", path: "max_gap", 0...125, "a whole number of registers")
        var discovery = DeviceProfile.Discovery.none
        if let d = try r.string(root, "discovery", path: "discovery") {
            guard let dd = DeviceProfile.Discovery(rawValue: d) else {
                throw r.error("discovery", root["discovery"]?.line, "expected \"none\" or \"sunspec\", found \"\(d)\"")
            }
            discovery = dd
        }
        guard let rn = root["registers"], case .array(let items) = rn.value, !items.isEmpty else {
            throw r.error("registers", root["registers"]?.line, "a profile needs [[registers]] entries")
        }
        var regs: [ProfileRegister] = []
        var lines: [Int] = []
        for (i, item) in items.enumerated() {
            let p = "registers[\(i)]"
            guard case .table(let t) = item.value else { throw r.error(p, item.line, "expected a table") }
            try r.checkKeys(t, allowed: registerKeys, path: p)
            let channel = try r.string(t, "channel", path: "\(p).channel", required: true, tableLine: t.line) ?? ""
            try r.checkIdentifier(channel, key: "\(p).channel", line: t["channel"]?.line)
            guard let a = try r.whole(t, "address", path: "\(p).address", 0...65535, "a register address") else {
                throw r.error("\(p).address", t.line, "missing; expected a register address (0-based, e.g. 0x0048)")
            }
            guard let type = try registerType(r, t, "type", path: "\(p).type") ?? defaultType else {
                throw r.error(
                    "\(p).type", t.line,
                    "missing; expected one of \(RegisterType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let (unit, kind, resolution, rollover, atWidth) = try quantity(r, t, path: p)
            let scale = try r.number(t, "scale", path: "\(p).scale", -1e12...1e12, "a scale") ?? 1
            if scale == 0 { throw r.error("\(p).scale", t["scale"]?.line, "must not be zero") }
            let sf = try r.whole(t, "scale_factor", path: "\(p).scale_factor", 0...65535, "a register address")
            var reg = ProfileRegister(
                channel: channel, name: try r.string(t, "name", path: "\(p).name"), address: a,
                function: try function(r, t, "function", path: "\(p).function") ?? defaultFunction, type: type,
                wordOrder: try wordOrder(r, t, "word_order", path: "\(p).word_order") ?? defaultOrder,
                scale: scale, offset: try r.number(t, "offset", path: "\(p).offset", -1e15...1e15, "an offset") ?? 0,
                scaleFactorAddress: sf,
                unit: unit, kind: kind, resolution: resolution, rollover: rollover,
                missing: try r.number(t, "missing", path: "\(p).missing"))
            reg.optional = try r.bool(t, "optional", path: "\(p).optional") ?? false
            if atWidth {
                guard let w = reg.widthRollover else {
                    throw r.error(
                        "\(p).rollover", t["rollover"]?.line,
                        "a \(type.rawValue) register has no fixed width to wrap at; give the rollover value")
                }
                reg.wrapsAtWidth = true
                reg.rollover = w
            }
            if reg.range.upperBound > 65536 {
                throw r.error("\(p).address", t["address"]?.line, "a \(type.rawValue) at \(a) runs past register 65535")
            }
            if let k = regs.firstIndex(where: { $0.channel == channel }) {
                throw r.error(
                    "\(p).channel", t["channel"]?.line, "channel \"\(channel)\" is also defined on line \(lines[k])")
            }
            if let k = regs.firstIndex(where: { $0.function == reg.function && $0.range.overlaps(reg.range) }) {
                throw r.error(
                    "\(p).address", t["address"]?.line,
                    "registers \(reg.range.lowerBound)–\(reg.range.upperBound - 1) of \"\(channel)\" overlap \"\(regs[k].channel)\" (line \(lines[k]), registers \(regs[k].range.lowerBound)–\(regs[k].range.upperBound - 1))"
                )
            }
            regs.append(reg)
            lines.append(t.line)
        }
        return DeviceProfile(
            id: id, name: name, maxBlock: maxBlock, maxGap: maxGap, discovery: discovery, registers: regs)
    }

    /// What a profile entry (a register, or an MQTT value) says of its quantity: unit, kind,
    /// resolution and, for counters, rollover.
    static func quantity(_ r: Reader, _ t: TOMLTable, path p: String) throws(ConfigError)
        -> (unit: String, kind: ChannelKind, resolution: Resolution?, rollover: Double?, atWidth: Bool)
    {
        let unit = try r.string(t, "unit", path: "\(p).unit", required: true, tableLine: t.line) ?? ""
        let kindS = try r.string(t, "kind", path: "\(p).kind", required: true, tableLine: t.line) ?? ""
        guard let kind = ChannelKind(rawValue: kindS) else {
            throw r.error("\(p).kind", t["kind"]?.line, "expected \"counter\" or \"gauge\", found \"\(kindS)\"")
        }
        var resolution: Resolution?
        if let v = try r.number(t, "resolution", path: "\(p).resolution") {
            guard let res = Resolution(v) else {
                throw r.error(
                    "\(p).resolution", t["resolution"]?.line, "expected a power of ten like 0.001 or 0.1, found \(v)")
            }
            resolution = res
        }
        var atWidth = false
        var rollover: Double?
        if case .string(let w)? = t["rollover"]?.value {
            guard w == "register" else {
                throw r.error(
                    "\(p).rollover", t["rollover"]?.line,
                    "expected a wrap value like 99999.9, or \"register\" (wraps at the register's width), found \"\(w)\""
                )
            }
            atWidth = true
        } else {
            rollover = try r.number(t, "rollover", path: "\(p).rollover", 0...1e15, "a register wrap value")
        }
        if (rollover != nil || atWidth) && kind == .gauge {
            throw r.error("\(p).rollover", t["rollover"]?.line, "only counters have rollover; this one is a gauge")
        }
        return (unit, kind, resolution, rollover, atWidth)
    }

    /// The file of a profile: the user's folder first (so a site can correct a shipped one),
    /// then the shipped ones; and every path looked at.
    static func find(_ name: String, userFolder: String?) -> (path: String?, looked: [String]) {
        var looked: [String] = []
        for folder in [userFolder, shippedFolder()].compactMap({ $0 }) {
            let path = (folder as NSString).appendingPathComponent("\(name).toml")
            looked.append(path)
            if FileManager.default.fileExists(atPath: path) { return (path, looked) }
        }
        return (nil, looked)
    }

    static func function(_ r: Reader, _ t: TOMLTable, _ key: String, path: String) throws(ConfigError)
        -> ModbusFunction?
    {
        guard let s = try r.string(t, key, path: path) else { return nil }
        switch s.lowercased() {
        case "holding", "fc03", "3": return .holding
        case "input", "fc04", "4": return .input
        default: throw r.error(path, t[key]?.line, "expected \"holding\" (FC03) or \"input\" (FC04), found \"\(s)\"")
        }
    }

    static func wordOrder(_ r: Reader, _ t: TOMLTable, _ key: String, path: String) throws(ConfigError) -> WordOrder? {
        guard let s = try r.string(t, key, path: path) else { return nil }
        guard let o = WordOrder(name: s) else {
            throw r.error(
                path, t[key]?.line,
                "unknown word order \"\(s)\"; expected \"high-first\" (big-endian words) or \"low-first\" (word-swapped)"
            )
        }
        return o
    }

    static func registerType(_ r: Reader, _ t: TOMLTable, _ key: String, path: String) throws(ConfigError)
        -> RegisterType?
    {
        guard let s = try r.string(t, key, path: path) else { return nil }
        guard let ty = RegisterType(rawValue: s.lowercased()) else {
            throw r.error(
                path, t[key]?.line,
                "unknown type \"\(s)\"; expected one of \(RegisterType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return ty
    }
}
