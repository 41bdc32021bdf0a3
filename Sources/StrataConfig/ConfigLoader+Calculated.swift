import StrataCore

/// `[[calculated]]`: channels that are the sum and difference of other channels ("main minus
/// the sub-meters"), kept as a device of their own (`device`, "calculated" unless set).
extension Reader {
    func calculated(_ root: TOMLTable, devices: [StrataConfig.Device]) throws(ConfigError) -> [StrataConfig.Device] {
        guard let n = root["calculated"] else { return [] }
        guard case .array(let items) = n.value else {
            throw error("calculated", n.line, "expected [[calculated]] tables")
        }
        var out: [StrataConfig.Device] = []
        for (i, item) in items.enumerated() {
            let p = "calculated[\(i)]"
            guard case .table(let t) = item.value else { throw error(p, item.line, "expected a table") }
            try checkKeys(t, allowed: ["id", "device", "name", "unit", "kind", "formula", "resolution"], path: p)
            let id = try string(t, "id", path: "\(p).id", required: true, tableLine: t.line) ?? ""
            try checkIdentifier(id, key: "\(p).id", line: t["id"]?.line)
            let deviceID = try string(t, "device", path: "\(p).device") ?? "calculated"
            try checkIdentifier(deviceID, key: "\(p).device", line: t["device"]?.line ?? t.line)
            if let d = devices.first(where: { $0.id == deviceID }) {
                throw error(
                    "\(p).device", t["device"]?.line ?? t.line,
                    "\"\(deviceID)\" is a meter (\(d.name)); calculated channels go in a device of their own: set device to a new id"
                )
            }
            let kindS = try string(t, "kind", path: "\(p).kind") ?? "counter"
            guard let kind = ChannelKind(rawValue: kindS) else {
                throw error("\(p).kind", t["kind"]?.line, "expected \"counter\" or \"gauge\", found \"\(kindS)\"")
            }
            let text = try string(t, "formula", path: "\(p).formula", required: true, tableLine: t.line) ?? ""
            let terms = try formula(text, devices: devices, path: "\(p).formula", line: t["formula"]?.line)
            let inputs = terms.compactMap { term in
                devices.first { $0.id == term.device }?.channels.first { $0.id == term.channel }
            }
            for (term, c) in zip(terms, inputs) where c.kind != kind {
                throw error(
                    "\(p).formula", t["formula"]?.line,
                    "\(term.device).\(term.channel) is a \(c.kind.rawValue); a \(kind.rawValue) adds up \(kind.rawValue)s only"
                )
            }
            let unit = try string(t, "unit", path: "\(p).unit") ?? inputs[0].unit
            for (term, c) in zip(terms, inputs) where c.unit != unit {
                throw error(
                    "\(p).formula", t["formula"]?.line,
                    "\(term.device).\(term.channel) is in \(c.unit), not \(unit): only channels of the same unit add up"
                )
            }
            // Fine enough for every input, so the sum is exact in whole steps.
            let finest = inputs.map(\.resolution.decimals).max() ?? 3
            var resolution = Resolution(decimals: finest)
            if let r = try number(t, "resolution", path: "\(p).resolution") {
                guard let res = Resolution(r) else {
                    throw error(
                        "\(p).resolution", t["resolution"]?.line, "expected a power of ten like 0.001, found \(r)")
                }
                guard res.decimals >= finest || kind == .gauge else {
                    throw error(
                        "\(p).resolution", t["resolution"]?.line,
                        "must be at least as fine as the inputs' (\(Resolution(decimals: finest))) for the sum to be exact"
                    )
                }
                resolution = res
            }
            var spec = ChannelSpec(
                device: deviceID, id: id, name: try string(t, "name", path: "\(p).name"), unit: unit, kind: kind,
                resolution: resolution, interval: inputs.map(\.interval).max() ?? 60)
            spec.formula = terms
            if let k = out.firstIndex(where: { $0.id == deviceID }) {
                if out[k].channels.contains(where: { $0.id == id }) {
                    throw error("\(p).id", t["id"]?.line, "calculated channel \"\(deviceID).\(id)\" is defined twice")
                }
                out[k].channels.append(spec)
                out[k].readCount = out[k].channels.count
            } else {
                var d = StrataConfig.Device(
                    id: deviceID, name: deviceID == "calculated" ? "Calculated" : deviceID, driver: .calculated,
                    channels: [spec])
                d.readCount = 1
                out.append(d)
            }
        }
        return out
    }

    /// "main.energy_import - sub1.energy_import + sub2.energy_import": terms of configured
    /// channels, with + and - between them (spaces around them, since ids may hold '-').
    func formula(_ text: String, devices: [StrataConfig.Device], path: String, line: Int?) throws(ConfigError)
        -> [FormulaTerm]
    {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var terms: [FormulaTerm] = []
        var negative = false
        var expectTerm = true
        for tok in tokens {
            if tok == "+" || tok == "-" {
                guard expectTerm == false || (terms.isEmpty && !negative) else {
                    throw error(path, line, "two signs in a row in \"\(text)\"")
                }
                negative = tok == "-"
                expectTerm = true
                continue
            }
            guard expectTerm else {
                throw error(
                    path, line,
                    "expected + or - between \"\(terms.last.map { "\($0.device).\($0.channel)" } ?? "")\" and \"\(tok)\" (with spaces around them)"
                )
            }
            guard let term = resolve(tok, devices: devices, negative: negative) else {
                let known = devices.flatMap { d in d.channels.map { "\(d.id).\($0.id)" } }.prefix(8).joined(
                    separator: ", ")
                throw error(
                    path, line,
                    "\"\(tok)\" is not a channel of a configured device; write device.channel (e.g. \(known))")
            }
            if devices.first(where: { $0.id == term.device })?.isCalculated == true {
                throw error(path, line, "\(tok) is itself calculated; write out its formula instead")
            }
            terms.append(term)
            negative = false
            expectTerm = false
        }
        guard !terms.isEmpty, !expectTerm else {
            throw error(
                path, line,
                "expected channels joined by + and -, like \"main.energy_import - sub1.energy_import\", found \"\(text)\""
            )
        }
        return terms
    }

    /// "a.b.c" is device "a", channel "b.c" or device "a.b", channel "c": whichever exists.
    private func resolve(_ tok: String, devices: [StrataConfig.Device], negative: Bool) -> FormulaTerm? {
        var idx = tok.startIndex
        while let dot = tok[idx...].firstIndex(of: ".") {
            let d = String(tok[..<dot])
            let c = String(tok[tok.index(after: dot)...])
            if let dev = devices.first(where: { $0.id == d }), dev.channels.contains(where: { $0.id == c }) {
                return FormulaTerm(negative: negative, device: d, channel: c)
            }
            idx = tok.index(after: dot)
        }
        return nil
    }
}
