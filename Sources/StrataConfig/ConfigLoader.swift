import Foundation
import StrataCore
import StrataModbus

extension StrataConfig {
    /// Reads and checks a config file.
    public static func load(path: String) throws(ConfigError) -> StrataConfig {
        let abs = absolutePath(path, relativeTo: FileManager.default.currentDirectoryPath)
        guard let data = FileManager.default.contents(atPath: abs) else {
            throw ConfigError(
                file: abs, line: nil, key: "", message: "cannot read the file (does it exist, and may strata read it?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: abs, line: nil, key: "", message: "the file is not UTF-8 text")
        }
        return try parse(text, file: abs)
    }

    /// Checks config text; relative paths resolve from the folder of `file`.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> StrataConfig {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(file: file, line: error.line, key: "", message: "syntax error: \(error.message)")
        }
        var r = Reader(file: file, folder: (file as NSString).deletingLastPathComponent)
        return try r.config(root)
    }

    static func absolutePath(_ p: String, relativeTo folder: String) -> String {
        let expanded = (p as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        return ((folder as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
    }
}

/// Typed access to the TOML tree, with errors that name the key and line.
struct Reader {
    let file: String
    let folder: String
    var profilesDir: String?

    init(file: String, folder: String) {
        self.file = file
        self.folder = folder
    }

    func error(_ key: String, _ line: Int?, _ msg: String) -> ConfigError {
        ConfigError(file: file, line: line, key: key, message: msg)
    }

    func table(_ t: TOMLTable, _ key: String, path: String) throws(ConfigError) -> TOMLTable? {
        guard let n = t[key] else { return nil }
        guard case .table(let sub) = n.value else {
            throw error(path, n.line, "expected a table ([\(path)]), found \(n.typeName)")
        }
        return sub
    }

    func string(_ t: TOMLTable, _ key: String, path: String, required: Bool = false, tableLine: Int? = nil)
        throws(ConfigError) -> String?
    {
        guard let n = t[key] else {
            if required { throw error(path, tableLine ?? t.line, "missing; expected a string") }
            return nil
        }
        guard case .string(let s) = n.value else { throw error(path, n.line, "expected a string, found \(n.typeName)") }
        return s
    }

    func number(_ t: TOMLTable, _ key: String, path: String) throws(ConfigError) -> Double? {
        guard let n = t[key] else { return nil }
        switch n.value {
        case .integer(let v): return Double(v)
        case .float(let v): return v
        default: throw error(path, n.line, "expected a number, found \(n.typeName)")
        }
    }

    /// A whole number inside `range`; anything else (3.5, 1e20, -1 for a port) is an error
    /// naming the key and line. The range is checked on the double first: converting 1e20
    /// to Int would trap.
    func whole(
        _ t: TOMLTable, _ key: String, path: String, _ range: ClosedRange<Int>, _ what: String = "a whole number"
    ) throws(ConfigError) -> Int? {
        guard let v = try number(t, key, path: path) else { return nil }
        guard v.isFinite, v == v.rounded(), v >= Double(range.lowerBound), v <= Double(range.upperBound) else {
            throw error(
                path, t[key]?.line,
                "expected \(what) from \(range.lowerBound) to \(range.upperBound), found \(Self.show(v))")
        }
        return Int(v)
    }

    /// A number inside `range` (both ends included), e.g. a scale or a price.
    func number(_ t: TOMLTable, _ key: String, path: String, _ range: ClosedRange<Double>, _ what: String)
        throws(ConfigError) -> Double?
    {
        guard let v = try number(t, key, path: path) else { return nil }
        guard v.isFinite, range.contains(v) else {
            throw error(
                path, t[key]?.line,
                "expected \(what) from \(Self.show(range.lowerBound)) to \(Self.show(range.upperBound)), found \(Self.show(v))"
            )
        }
        return v
    }

    /// A number as the user would write it back: 65535, 0.5, 1e+20.
    static func show(_ v: Double) -> String {
        v == v.rounded() && v.magnitude < 1e15 ? String(Int64(v)) : "\(v)"
    }

    func bool(_ t: TOMLTable, _ key: String, path: String) throws(ConfigError) -> Bool? {
        guard let n = t[key] else { return nil }
        guard case .bool(let b) = n.value else {
            throw error(path, n.line, "expected true or false, found \(n.typeName)")
        }
        return b
    }

    /// A duration; `most` (seconds) bounds timeouts and intervals that become timer values.
    func span(_ t: TOMLTable, _ key: String, path: String, allowForever: Bool, most: Int64? = nil) throws(ConfigError)
        -> Span?
    {
        guard let s = try string(t, key, path: path) else { return nil }
        let line = t[key]?.line
        do {
            let span = try Span(parsing: s)
            if span.seconds == nil && !allowForever {
                throw error(path, line, "expected a duration like \"1 min\", found \"forever\"")
            }
            if span.seconds == 0 { throw error(path, line, "must be longer than zero") }
            if let most, let secs = span.seconds, secs > most {
                throw error(path, line, "expected at most \(Span(seconds: most)), found \"\(s)\"")
            }
            return span
        } catch let e as ConfigError {
            throw e
        } catch {
            throw self.error(
                path, line,
                "expected a duration like \"1 min\", \"400 days\", \"10 years\"\(allowForever ? " or \"forever\"" : ""), found \"\(s)\""
            )
        }
    }

    func checkKeys(_ t: TOMLTable, allowed: Set<String>, path: String) throws(ConfigError) {
        for k in t.keys where !allowed.contains(k) {
            let known = allowed.sorted().joined(separator: ", ")
            throw error(path.isEmpty ? k : "\(path).\(k)", t[k]?.line, "unknown key; expected one of: \(known)")
        }
    }

    mutating func config(_ root: TOMLTable) throws(ConfigError) -> StrataConfig {
        // Sections owned by other parts of Strata are accepted here and checked by their owners.
        let later: Set<String> = [
            "ftp", "smtp", "reports", "tariffs", "holidays", "calculated", "outbox", "profiles_dir", "web", "share",
            "sampler", "alarms", "mqtt", "replication", "fleet",
        ]
        try checkKeys(
            root, allowed: Set(["site", "storage", "retention", "devices", "archive"]).union(later), path: "")
        let site = try site(root)
        let storage = try storage(root)
        let retention = try retention(root)
        let archive = try archive(root)
        profilesDir = try profilesDir(root)
        var devices = try devices(root)
        devices += try calculated(root, devices: devices)
        var config = StrataConfig(
            file: file, site: site, storage: storage, retention: retention, archive: archive,
            devices: devices, profilesDir: profilesDir, ftp: try ftp(root))
        config.smtp = try smtp(root)
        config.tariffs = try tariffs(root)
        config.holidays = try holidays(root)
        config.reports = try reports(root, devices: devices, archive: archive)
        config.outbox = try outbox(root, storagePath: storage.path)
        config.web = try web(root, ftp: config.ftp)
        config.mqtt = try mqtt(root, site: config.site)
        try mqttDevicesHaveABroker(root, config)
        config.alarms = try alarms(root, devices: devices)
        config.replication = try replication(root)
        config.fleet = try fleet(root, devices: config.devices)
        return config
    }

    func site(_ root: TOMLTable) throws(ConfigError) -> StrataConfig.Site {
        guard let siteT = try table(root, "site", path: "site") else {
            throw error("site", nil, "missing [site] section with name and timezone")
        }
        try checkKeys(siteT, allowed: ["name", "timezone"], path: "site")
        let name = try string(siteT, "name", path: "site.name", required: true) ?? ""
        let tzName = try string(siteT, "timezone", path: "site.timezone", required: true) ?? ""
        guard let zone = ZoneRules(identifier: tzName), tzName.contains("/") || tzName == "UTC" else {
            throw error(
                "site.timezone", siteT["timezone"]?.line,
                "unknown time zone \"\(tzName)\"; expected an IANA name like \"Europe/Paris\"")
        }
        let site = StrataConfig.Site(name: name, timezone: tzName, zone: zone)
        return site
    }

    func storage(_ root: TOMLTable) throws(ConfigError) -> StrataConfig.Storage {
        guard let storT = try table(root, "storage", path: "storage") else {
            throw error("storage", nil, "missing [storage] section with path")
        }
        try checkKeys(storT, allowed: ["path", "budget"], path: "storage")
        let spath = try string(storT, "path", path: "storage.path", required: true) ?? ""
        var budget: ByteSize?
        if let b = try string(storT, "budget", path: "storage.budget") {
            guard let bs = ByteSize(parsing: b), bs.bytes > 0 else {
                throw error(
                    "storage.budget", storT["budget"]?.line,
                    "expected a size like \"2 GB\" or \"500 MB\", found \"\(b)\"")
            }
            budget = bs
        }
        return StrataConfig.Storage(path: StrataConfig.absolutePath(spath, relativeTo: folder), budget: budget)
    }

    func retention(_ root: TOMLTable) throws(ConfigError) -> [Tier: Span] {
        var retention = StrataConfig.defaultRetention
        if let retT = try table(root, "retention", path: "retention") {
            try checkKeys(retT, allowed: Set(Tier.allCases.map(\.name)), path: "retention")
            for tier in Tier.allCases {
                if let s = try span(retT, tier.name, path: "retention.\(tier.name)", allowForever: true) {
                    retention[tier] = s
                }
            }
        }
        return retention
    }

    func archive(_ root: TOMLTable) throws(ConfigError) -> StrataConfig.Archive {
        var archive = StrataConfig.Archive(
            path: StrataConfig.absolutePath("archive", relativeTo: folder), dialects: [.excelEU, .iso], prune: false)
        if let aT = try table(root, "archive", path: "archive") {
            try checkKeys(aT, allowed: ["path", "dialects", "prune"], path: "archive")
            if let p = try string(aT, "path", path: "archive.path") {
                archive.path = StrataConfig.absolutePath(p, relativeTo: folder)
            }
            if let n = aT["dialects"] {
                guard case .array(let items) = n.value else {
                    throw error("archive.dialects", n.line, "expected an array like [\"excel-eu\", \"iso\"]")
                }
                var ds: [CSVDialect] = []
                for it in items {
                    guard case .string(let s) = it.value, let d = CSVDialect(rawValue: s) else {
                        throw error("archive.dialects", it.line, "expected \"excel-eu\", \"excel-us\" or \"iso\"")
                    }
                    ds.append(d)
                }
                archive.dialects = ds
            }
            if let p = try bool(aT, "prune", path: "archive.prune") { archive.prune = p }
        }
        return archive
    }

    func profilesDir(_ root: TOMLTable) throws(ConfigError) -> String? {
        var profilesDir: String?
        if let pd = try string(root, "profiles_dir", path: "profiles_dir") {
            let abs = StrataConfig.absolutePath(pd, relativeTo: folder)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: abs, isDirectory: &isDir), isDir.boolValue else {
                throw error("profiles_dir", root["profiles_dir"]?.line, "\(abs) is not a folder")
            }
            profilesDir = abs
        }
        return profilesDir
    }

    func devices(_ root: TOMLTable) throws(ConfigError) -> [StrataConfig.Device] {
        var devices: [StrataConfig.Device] = []
        if let dn = root["devices"] {
            guard case .array(let items) = dn.value else {
                throw error("devices", dn.line, "expected [[devices]] tables")
            }
            for (di, item) in items.enumerated() {
                guard case .table(let dT) = item.value else {
                    throw error("devices[\(di)]", item.line, "expected a table")
                }
                devices.append(try device(dT, index: di, existing: devices))
            }
        }
        return devices
    }

    /// `driver = "mqtt"` devices need `[mqtt]`: the error names the line of that device's driver.
    func mqttDevicesHaveABroker(_ root: TOMLTable, _ config: StrataConfig) throws(ConfigError) {
        if config.mqtt == nil, let i = config.devices.firstIndex(where: { $0.mqttSource != nil }) {
            // The line of that device's driver: where the user will look.
            var line: Int?
            if case .array(let items)? = root["devices"]?.value, i < items.count, case .table(let t) = items[i].value {
                line = t["driver"]?.line ?? t.line
            }
            throw error(
                "mqtt", line,
                "device \"\(config.devices[i].id)\" has driver \"mqtt\": add an [mqtt] section with the broker's url")
        }
    }

    static let driverKeys: Set<String> = [
        "host", "port", "unit_id", "profile", "poll", "serial", "baud", "parity", "stop_bits", "data_bits", "timeout",
        "retries",
        "simulate", "size", "outage_every", "outage_for", "topic", "time_path",
    ]

    func device(_ t: TOMLTable, index di: Int, existing: [StrataConfig.Device]) throws(ConfigError)
        -> StrataConfig.Device
    {
        let p = "devices[\(di)]"
        try checkKeys(t, allowed: Set(["id", "name", "driver", "channels"]).union(Self.driverKeys), path: p)
        let id = try string(t, "id", path: "\(p).id", required: true, tableLine: t.line) ?? ""
        try checkIdentifier(id, key: "\(p).id", line: t["id"]?.line)
        if let other = existing.first(where: { $0.id == id }) {
            throw error("\(p).id", t["id"]?.line, "device id \"\(id)\" is used twice (also by \(other.name))")
        }
        let name = try string(t, "name", path: "\(p).name") ?? id
        let driver = try string(t, "driver", path: "\(p).driver") ?? "none"
        let drivers = ["none", "simulated", "modbus-tcp", "modbus-rtu", "mqtt"]
        guard drivers.contains(driver) else {
            throw error(
                "\(p).driver", t["driver"]?.line,
                "unknown driver \"\(driver)\"; expected one of \(drivers.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        var dev = StrataConfig.Device(id: id, name: name, driver: .none, channels: [])
        try deviceDriver(t, path: p, kind: driver, into: &dev)
        var chs = DeviceChannels(dev, isMQTT: driver == "mqtt")
        if let cn = t["channels"] {
            guard case .array(let items) = cn.value else {
                throw error("\(p).channels", cn.line, "expected [[devices.channels]] tables")
            }
            var seen: Set<String> = []
            for (ci, item) in items.enumerated() {
                let cp = "\(p).channels[\(ci)]"
                guard case .table(let cT) = item.value else { throw error(cp, item.line, "expected a table") }
                let cid = try string(cT, "id", path: "\(cp).id", required: true, tableLine: cT.line) ?? ""
                guard seen.insert(cid).inserted else {
                    throw error("\(cp).id", cT["id"]?.line, "channel id \"\(cid)\" is used twice in device \"\(id)\"")
                }
                try checkKeys(cT, allowed: chs.allowedKeys, path: cp)
                try channelEntry(cT, id: cid, path: cp, device: dev, into: &chs)
            }
        }
        try chs.keepRead(throwing: { (r, k) throws(ConfigError) in
            throw error("\(p).channels", t.line, "registers of \"\(r.channel)\" overlap \"\(k.channel)\"")
        })
        if chs.specs.isEmpty {
            throw error(
                "\(p).channels", t.line,
                "device \"\(id)\" has no channels; add [[devices.channels]] entries\(driver == "none" ? "" : " or a profile")"
            )
        }
        dev.readCount = chs.specs.count
        if chs.isMQTT, var source = dev.mqttSource {
            source.paths = chs.paths
            dev.driver = .mqtt(source)
        }
        // Faster polling keeps each gauge's minute mean, and its extremes beside it.
        dev.channels = dev.poll < 60 ? Self.withMinuteExtremes(chs.specs, device: id) : chs.specs
        dev.registers = chs.isModbus ? chs.registers : []
        return dev
    }

    /// A device's channels while its `[[devices.channels]]` entries are read: the profile's,
    /// changed and added to, with their registers (Modbus) or JSON paths (MQTT).
    struct DeviceChannels {
        var specs: [ChannelSpec]
        var registers: [ProfileRegister]
        var paths: [String] = []
        /// Profile channels an entry names by id: optional ones are read only then (one taken
        /// as another channel's `source` is read under that channel's id instead).
        var named: Set<String> = []
        let isModbus: Bool
        let isMQTT: Bool

        init(_ dev: StrataConfig.Device, isMQTT: Bool) {
            registers = dev.profile?.registers ?? []
            specs = registers.map { $0.spec(device: dev.id) }
            isModbus = dev.modbus != nil
            self.isMQTT = isMQTT
            if let mp = dev.mqttProfile {
                specs = mp.values.map { v in
                    var s = v.spec
                    s.device = dev.id
                    return s
                }
                paths = mp.values.map(\.path)
            }
        }

        var allowedKeys: Set<String> {
            Reader.channelKeys.union(isModbus ? Reader.registerKeys : []).union(isMQTT ? ["path"] : [])
        }

        /// Drops a pulse module's unwired inputs (not read, not stored) and refuses overlapping
        /// registers.
        mutating func keepRead(
            throwing overlap: (ProfileRegister, ProfileRegister) throws(ConfigError) -> Void
        ) throws(ConfigError) {
            guard isModbus else { return }
            let keep = registers.map { !$0.optional || named.contains($0.channel) }
            registers = zip(registers, keep).filter(\.1).map(\.0)
            specs = zip(specs, keep).filter(\.1).map(\.0)
            for (i, r) in registers.enumerated() {
                if let k = registers[..<i].firstIndex(where: { $0.function == r.function && $0.range.overlaps(r.range) }
                ) {
                    try overlap(r, registers[k])
                }
            }
        }
    }

    /// One `[[devices.channels]]` entry: a new channel read from a profile register (`source`),
    /// a change to a profile channel (only the keys written change), or a channel of its own.
    func channelEntry(
        _ cT: TOMLTable, id cid: String, path cp: String, device dev: StrataConfig.Device,
        into chs: inout DeviceChannels
    ) throws(ConfigError) {
        if let source = try string(cT, "source", path: "\(cp).source") {
            try sourcedChannel(cT, id: cid, source: source, path: cp, device: dev, into: &chs)
        } else if let k = chs.specs.firstIndex(where: { $0.id == cid }) {
            chs.named.insert(cid)
            chs.specs[k] = try channel(cT, device: dev.id, path: cp, base: chs.specs[k])
            if chs.isMQTT, k < chs.paths.count, let path = try string(cT, "path", path: "\(cp).path"), !path.isEmpty {
                chs.paths[k] = path
            }
            if chs.isModbus {
                chs.registers[k] = try register(cT, path: cp, base: chs.registers[k], spec: &chs.specs[k])
            }
        } else {
            try ownChannel(cT, id: cid, path: cp, device: dev, into: &chs)
        }
    }

    /// A new channel read from a profile register (a pulse module's input).
    func sourcedChannel(
        _ cT: TOMLTable, id cid: String, source: String, path cp: String, device dev: StrataConfig.Device,
        into chs: inout DeviceChannels
    ) throws(ConfigError) {
        guard let k = chs.registers.firstIndex(where: { $0.channel == source }), let profile = dev.profile else {
            throw error(
                "\(cp).source", cT["source"]?.line,
                "no register \"\(source)\" in profile \"\(dev.profile?.id ?? "")\" (it has: \(chs.registers.map(\.channel).joined(separator: ", ")))"
            )
        }
        guard !chs.specs.contains(where: { $0.id == cid }) || cid == source else {
            throw error(
                "\(cp).id", cT["id"]?.line,
                "channel id \"\(cid)\" is also a channel of profile \"\(profile.id)\"; choose another id")
        }
        if cid == source { chs.named.insert(source) }
        var base = chs.specs[k]
        base.id = cid
        base.name = cid
        var spec = try channel(cT, device: dev.id, path: cp, base: base)
        var reg = chs.registers[k]
        reg.optional = false
        let r = try register(cT, path: cp, base: reg, spec: &spec)
        if cid == source {
            chs.specs[k] = spec
            chs.registers[k] = r
        } else {
            chs.specs.append(spec)
            chs.registers.append(r)
        }
    }

    /// A channel the profile does not have: its register (Modbus) or JSON path (MQTT) too.
    func ownChannel(
        _ cT: TOMLTable, id cid: String, path cp: String, device dev: StrataConfig.Device,
        into chs: inout DeviceChannels
    ) throws(ConfigError) {
        if chs.isMQTT {
            guard let path = try string(cT, "path", path: "\(cp).path"), !path.isEmpty else {
                throw error(
                    "\(cp).path", cT.line, "missing; the JSON path of the value in the message, like \"ENERGY.Total\"")
            }
            chs.paths.append(path)
        }
        if chs.isModbus, cT["address"] == nil || cT["type"] == nil {
            throw error(
                "\(cp).id", cT["id"]?.line,
                "channel \"\(cid)\" is not in profile \"\(dev.profile?.id ?? "")\"; give its address and type to read it, or correct the id (profile channels: \(chs.specs.map(\.id).joined(separator: ", ")))"
            )
        }
        var spec = try channel(cT, device: dev.id, path: cp, base: nil)
        if chs.isModbus {
            chs.registers.append(try register(cT, path: cp, base: nil, spec: &spec))
        } else if cT["rollover"].map({ if case .string = $0.value { true } else { false } }) ?? false {
            throw error(
                "\(cp).rollover", cT["rollover"]?.line,
                "rollover = \"register\" is for Modbus registers; give the wrap value"
            )
        }
        chs.specs.append(spec)
    }

    /// Each gauge's `_min` and `_max` beside it, for a device polled faster than once a minute.
    static func withMinuteExtremes(_ specs: [ChannelSpec], device id: String) -> [ChannelSpec] {
        var out = specs
        for g in specs where g.kind == .gauge {
            for (suffix, what) in [("_min", "minimum"), ("_max", "maximum")]
            where !out.contains(where: { $0.id == g.id + suffix }) {
                out.append(
                    ChannelSpec(
                        device: id, id: g.id + suffix, name: "\(g.name) (\(what) in the minute)", unit: g.unit,
                        kind: .gauge, resolution: g.resolution))
            }
        }
        return out
    }

    static let channelKeys: Set<String> = [
        "id", "name", "unit", "kind", "resolution", "interval", "rollover", "max_rate",
    ]
    static let registerKeys: Set<String> = [
        "address", "function", "type", "word_order", "scale", "offset", "pulses_per_unit", "unit_per_pulse", "source",
    ]

    func checkIdentifier(_ id: String, key: String, line: Int?) throws(ConfigError) {
        let ok =
            !id.isEmpty
            && id.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
                    || c == 0x2D || c == 0x2E
            } && !id.hasPrefix(".") && !id.hasPrefix("_")
        guard ok else {
            throw error(
                key, line,
                "\"\(id)\" is not a usable id; use letters, digits, '-', '_' and '.' (it becomes a folder and a column name)"
            )
        }
    }

    func channel(_ t: TOMLTable, device: String, path p: String, base: ChannelSpec?) throws(ConfigError) -> ChannelSpec
    {
        let id = try string(t, "id", path: "\(p).id", required: true, tableLine: t.line) ?? ""
        try checkIdentifier(id, key: "\(p).id", line: t["id"]?.line)
        let name = try string(t, "name", path: "\(p).name") ?? base?.name
        let unit =
            try string(t, "unit", path: "\(p).unit", required: base == nil, tableLine: t.line) ?? base?.unit ?? ""
        let kindS =
            try string(t, "kind", path: "\(p).kind", required: base == nil, tableLine: t.line) ?? base?.kind.rawValue
            ?? ""
        guard let kind = ChannelKind(rawValue: kindS) else {
            throw error("\(p).kind", t["kind"]?.line, "expected \"counter\" or \"gauge\", found \"\(kindS)\"")
        }
        var resolution: Resolution? = base?.resolution
        if let r = try number(t, "resolution", path: "\(p).resolution") {
            guard let res = Resolution(r) else {
                throw error(
                    "\(p).resolution", t["resolution"]?.line,
                    "expected a power of ten like 0.001, 0.1, 1 or 10, found \(r)")
            }
            resolution = res
        }
        var interval = base?.interval ?? 60
        if let s = try span(t, "interval", path: "\(p).interval", allowForever: false), let secs = s.seconds {
            guard secs >= 60, secs % 60 == 0 else {
                throw error(
                    "\(p).interval", t["interval"]?.line,
                    "expected whole minutes (\"1 min\", \"15 min\"): the minute is the store's finest step")
            }
            interval = Int(secs)
        }
        // Bounded so that their steps at the channel's resolution fit what the store keeps.
        let most = Double(Resolution.maxSteps) * (resolution ?? Resolution.defaultFor(unit: unit)).step
        // `rollover = "register"` is settled with the register's type and scale (Reader.register).
        let atWidth: Bool = if case .string("register")? = t["rollover"]?.value { true } else { false }
        let rollover =
            atWidth
            ? base?.rollover
            : (try number(t, "rollover", path: "\(p).rollover", -most...most, "a register wrap value") ?? base?.rollover)
        let maxRate =
            try number(t, "max_rate", path: "\(p).max_rate", -most...most, "a consumption per hour") ?? base?.maxRate
        if kind == .gauge {
            for k in ["rollover", "max_rate"] where t[k] != nil {
                throw error("\(p).\(k)", t[k]?.line, "only counters have \(k); this channel is a gauge")
            }
        }
        if let r = rollover, r <= 0 { throw error("\(p).rollover", t["rollover"]?.line, "must be greater than zero") }
        if let m = maxRate, m <= 0 { throw error("\(p).max_rate", t["max_rate"]?.line, "must be greater than zero") }
        return ChannelSpec(
            device: device, id: id, name: name, unit: unit, kind: kind, resolution: resolution,
            interval: interval, rollover: rollover, maxRate: maxRate)
    }
}
