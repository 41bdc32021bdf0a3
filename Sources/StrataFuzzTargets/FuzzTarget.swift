import StrataCodec
import StrataConfig
import StrataCore
import StrataFTP
import StrataImport
import StrataMail
import StrataModbus

/// The parsers that meet bytes from outside, each as a function of one input: libFuzzer
/// drives them (`tools/fuzz/run.sh`), and the regression tests replay every corpus file and
/// every crash found through the same functions. A trap here is a crash of the historian;
/// the functions also check invariants a parser must keep and trap when one breaks.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// FTP control bytes: line decoder, then the session state machine, with a fake tree.
    case ftp
    /// strata.toml: the TOML reader and the whole config loader.
    case config
    /// One import line: CSV splitting, numbers in both decimal styles, every time format.
    case csv
    /// SMTP server bytes: the reply decoder, fed in two pieces.
    case smtp
    /// Modbus answers: word decoding of every shipped profile's read plan and the SunSpec walk.
    case modbus
    /// Stored series blocks: bytes decoded past the checksum (a damaged file), and a series
    /// built from the bytes that must round-trip bit for bit.
    case block

    public func run(_ data: [UInt8]) {
        switch self {
        case .ftp: Self.ftp(data)
        case .config: Self.config(data)
        case .csv: Self.csv(data)
        case .smtp: Self.smtp(data)
        case .modbus: Self.modbus(data)
        case .block: Self.block(data)
        }
    }

    static func ftp(_ data: [UInt8]) {
        var decoder = FTPLineDecoder(maxLength: 512)
        var session = FTPSession(
            fileSystem: FuzzTree(), homes: ["demo": .root, "eu": VirtualPath.root.resolving("/excel-eu") ?? .root],
            tlsAvailable: data.first.map { $0 & 1 == 1 } ?? false)
        // Split in two so that lines cross feeds, as they do over TCP.
        let cut = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
        for piece in [data[..<cut], data[cut...]] {
            for item in decoder.feed(piece) {
                guard case .line(let line) = item else { return }
                precondition(line.utf8.count <= 512 * 4, "a decoded line is longer than the limit")
                var actions = session.handle(FTPCommand(line: line))
                // The adapter's answers, so the machine reaches every state.
                for _ in 0..<4 {
                    var next: [FTPSession.Action] = []
                    for a in actions {
                        switch a {
                        case .verify(let user, let password): next += session.loginResult(user == password)
                        case .startTLS: session.tlsStarted()
                        case .openPassive:
                            next += session.passiveOpened(port: line.count % 3 == 0 ? nil : 50_000 + line.count)
                        case .transfer(let t, _):
                            if case .retrieve(let p, _, _) = t {
                                precondition(!p.components.contains(".."), "a path left the root")
                            }
                            next += session.transferOpened(t, bytes: Int64(line.count))
                            session.transferStarted()
                            // A command during the transfer is held, then replayed after it.
                            next += session.handle(FTPCommand(line: line))
                            next += session.transferEnded(line.count % 2 == 0 ? .completed : .aborted)
                            while let held = session.nextHeld() { next += held }
                        default: break
                        }
                    }
                    if next.isEmpty { break }
                    actions = next
                }
                precondition(!session.cwd.components.contains(".."), "the current folder left the root")
            }
        }
    }

    static func block(_ data: [UInt8]) {
        if let b = try? SeriesBlock(decoding: data, verifyChecksum: false) {
            precondition(b.points.count <= b.slots, "more points than slots")
            precondition(zip(b.points, b.points.dropFirst()).allSatisfy { $0.slot < $1.slot }, "slots out of order")
        }
        // The same bytes as a bundle of columns (the quarter and hour tiers' blocks).
        if let columns = try? SeriesBundle.decode(data) {
            precondition(
                columns.allSatisfy { $0.slot.count == $0.value.count && $0.slot.count <= $0.slots },
                "a column lost its shape")
        }
        // The bytes as a series: a resolution, then per point a slot step and a value that is a
        // small step from the last, a raw double, or a repeat.
        guard let first = data.first else { return }
        let decimals = Int(first % 9) - 2
        var points: [SeriesPoint] = []
        var slot = 0
        var value = 0.0
        var i = 1
        while i < data.count, slot < 1440 {
            let op = data[i]
            i += 1
            slot += Int(op >> 6)
            switch op & 3 {
            case 0: value += Double(Int(op >> 2) - 8) / 10
            case 1:
                var bits: UInt64 = 0
                for k in 0..<8 where i + k < data.count { bits |= UInt64(data[i + k]) << UInt64(k * 8) }
                i += 8
                value = Double(bitPattern: bits)
            default: break
            }
            guard slot < 1440 else { break }
            let cum: Int64? = op & 4 != 0 ? Int64(value.isFinite && abs(value) < 1e15 ? value : 0) : nil
            points.append(SeriesPoint(slot: slot, value: value, cum: cum, hwm: op & 8 != 0 ? Int64(op) << 40 : nil))
            slot += 1
        }
        let block = SeriesBlock(slots: 1440, decimals: decimals, points: points)
        guard let back = try? SeriesBlock(decoding: block.encoded()) else {
            preconditionFailure("a block did not decode")
        }
        precondition(back.points.count == points.count, "points lost")
        for (a, b) in zip(points, back.points) {
            precondition(
                a.slot == b.slot && a.value.bitPattern == b.value.bitPattern && a.cum == b.cum && a.hwm == b.hwm,
                "a point changed in a round trip")
        }
    }

    static func config(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        do {
            let cfg = try StrataConfig.parse(text, file: "/nonexistent-fuzz/strata.toml")
            for d in cfg.devices { precondition(!d.id.isEmpty, "a device without an id was accepted") }
        } catch {
            // A refusal must say where: a line inside the file, if any.
            if let l = error.line {
                precondition(l >= 1 && l <= max(1, text.utf8.count + 1), "error line \(l) outside the file")
            }
        }
    }

    static func csv(_ data: [UInt8]) {
        let line = data[...]
        let sep = CSVLine.detectSeparator(line)
        let fields = CSVLine.split(line, separator: sep)
        precondition(!fields.isEmpty, "a line splits into at least one field")
        let zone = ZoneRules(identifier: "Europe/Paris")
        for f in fields {
            for comma in [false, true] {
                if let v = CSVLine.number(f, decimalComma: comma) {
                    let r = Resolution(decimals: 3)
                    if r.accepts(v) { _ = Decimal.format(v, r, separator: comma ? "," : ".") }
                }
            }
            let text = Substring(String(decoding: f, as: UTF8.self))
            for format in [
                TimeFormat.unix, .unixMillis, .iso8601, .pattern("%Y-%m-%d %H:%M:%S"), .pattern("%d.%m.%Y %H:%M%z"),
            ] {
                switch format.parse(text) {
                case .instant(let t)?: if PlausibleTime.contains(t) { _ = zone?.offset(at: t) }
                case .local(let l)?: _ = zone?.resolve(l)
                case .outOfRange?, nil: break
                }
            }
        }
    }

    static func smtp(_ data: [UInt8]) {
        var decoder = SMTPReplyDecoder()
        let cut = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
        do {
            for piece in [data[..<cut], data[cut...]] {
                for reply in try decoder.feed(piece) {
                    precondition(
                        (200...599).contains(reply.code), "reply code \(reply.code) outside 2xx-5xx (RFC 5321 4.2)")
                    _ = reply.extensions
                }
            }
        } catch {}
    }

    static func modbus(_ data: [UInt8]) {
        var words: [UInt16] = []
        var i = 0
        while i + 1 < data.count {
            words.append(UInt16(data[i]) << 8 | UInt16(data[i + 1]))
            i += 2
        }
        for type in RegisterType.allCases {
            for order in [WordOrder.highFirst, .lowFirst] {
                for at in [-1, 0, 1, words.count - 1] {
                    if let v = RegisterDecoder.decode(words, at: at, type: type, order: order) {
                        precondition(v.isFinite, "decoded a non-finite value")
                    }
                }
            }
        }
        for profile in Self.profiles {
            // Answers cut from the input, one per block; an empty word list is a failed read.
            var offset = 0
            let answers: [[UInt16]?] = profile.plan.blocks.map { b in
                let n = min(b.count, max(0, words.count - offset))
                defer { offset += n }
                return n == 0 ? nil : Array(words[offset..<(offset + n)])
            }
            for v in profile.plan.decode(answers) { if let v { precondition(!v.isNaN, "a decoded value is NaN") } }
        }
        // SunSpec: the model chain as the meter's registers, served from address 40000 on.
        let base = 40000
        if let meter = try? SunSpec.locateMeter(read: { (a: Int, n: Int) throws(FuzzReadError) -> [UInt16] in
            guard a >= base, a - base + n <= words.count else { throw FuzzReadError() }
            return Array(words[(a - base)..<(a - base + n)])
        }) {
            precondition(SunSpec.meterModels.contains(meter.model), "walk returned a model that is not a meter")
            for p in Self.profiles where p.profile.discovery == .sunspec {
                let regs = SunSpec.resolve(p.profile.registers, at: meter)
                _ = ReadPlan(registers: regs).blocks
            }
        }
    }

    struct FuzzReadError: Error {}

    struct LoadedProfile: Sendable {
        let profile: DeviceProfile
        let plan: ReadPlan
    }

    static let profiles: [LoadedProfile] = ProfileLoader.shippedNames.compactMap { name in
        guard let p = try? ProfileLoader.load(name: name, userFolder: nil) else { return nil }
        return LoadedProfile(profile: p, plan: ReadPlan(registers: p.registers, maxBlock: p.maxBlock, maxGap: p.maxGap))
    }
}

/// A small archive-like tree for the FTP session.
struct FuzzTree: FileSystemView {
    static let entries: [String: FileEntry] = [
        "/iso": FileEntry(name: "iso", isDirectory: true, size: 0, modified: 0),
        "/iso/main": FileEntry(name: "main", isDirectory: true, size: 0, modified: 0),
        "/iso/main/2026.csv": FileEntry(name: "2026.csv", isDirectory: false, size: 1234, modified: 1_790_000_000),
        "/excel-eu": FileEntry(name: "excel-eu", isDirectory: true, size: 0, modified: 0),
        "/excel-eu/x.csv": FileEntry(name: "x.csv", isDirectory: false, size: 0, modified: -5),
    ]

    func entry(_ p: VirtualPath) -> FileEntry? {
        p.components.isEmpty
            ? FileEntry(name: "/", isDirectory: true, size: 0, modified: 0) : Self.entries[p.description]
    }

    func list(_ p: VirtualPath) -> [FileEntry]? {
        let prefix = p.components.isEmpty ? "/" : p.description + "/"
        return Self.entries.filter { $0.key.hasPrefix(prefix) && !$0.key.dropFirst(prefix.count).contains("/") }.map(
            \.value)
    }
}
