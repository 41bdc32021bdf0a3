import Foundation
import StrataTestSupport
import Testing

/// `[mqtt]` through `strata run` against a real broker (Debian's mosquitto, password file):
/// what `mosquitto_sub` sees is checked as Home Assistant and scripts read it.
@Suite(.serialized) struct MQTTCLITests {
    func config(_ dir: TempDir, port: Int, extra: String = "") throws -> String {
        try dir.write("mqtt.pass", "broker-secret\n")
        return SiteTOML.header(name: "MQTT site", timezone: "Europe/Berlin", store: dir.file("store.sqlite")) + """

            [[devices]]
            id = "main"
            name = "Main meter"
            driver = "simulated"
            profile = "eastron-sdm630"
            simulate = "electricity"

            [[devices]]
            id = "water"
            name = "Cold water"
            driver = "simulated"
            simulate = "water"

              [[devices.channels]]
              id = "volume"
              unit = "m³"
              kind = "counter"
              resolution = 0.001

            [[calculated]]
            id = "net"
            name = "Import plus export"
            formula = "main.energy_import + main.energy_export"

            [mqtt]
            url = "mqtt://127.0.0.1:\(port)"
            username = "strata"
            password_file = "\(dir.file("mqtt.pass"))"
            \(extra)
            """
    }

    func wait(_ seconds: Double, until done: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !done() { Thread.sleep(forTimeInterval: 0.2) }
    }

    func json(_ s: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(s.utf8))) as? [String: Any]
    }

    /// Minute values of a channel from `strata export` (the store's view), by local start.
    func stored(_ dir: TempDir, device: String, column: String) throws -> [String: Double] {
        let r = try CLI.run([
            "export", "--config", dir.file("strata.toml"), "--device", device, "--tier", "minute", "--dialect", "iso",
        ])
        let rows = r.stdout.split(whereSeparator: \.isNewline).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let header = rows.first, let i = header.firstIndex(of: column) else { return [:] }
        var out: [String: Double] = [:]
        for row in rows.dropFirst() where row.count > i { if let v = Double(row[i]) { out[row[0]] = v } }
        return out
    }

    @Test func everyMinuteAndTheDiscoveryConfigsReachTheBroker() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let broker = try MosquittoBroker(port: port, dir: dir.file("broker"))
        let seen = dir.file("seen.txt")
        let sub = try broker.subscribe(to: seen)
        defer { MosquittoBroker.end(sub) }
        try dir.write("strata.toml", try config(dir, port: port))
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        let topic = "strata/mqtt-site/main/energy_import"
        wait(30) { MosquittoBroker.messages(seen).filter { $0.topic == topic }.count >= 4 }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(r.stderr.suffix(1000))")
        #expect(r.stderr.contains("mqtt: connected"), "\(r.stderr.suffix(1000))")
        Thread.sleep(forTimeInterval: 0.5)
        MosquittoBroker.end(sub)
        let all = MosquittoBroker.messages(seen)

        // Home Assistant discovery, retained, with the classes its Energy dashboard needs.
        func discovery(_ device: String, _ channel: String) -> [String: Any]? {
            all.last { $0.topic == "homeassistant/sensor/strata_mqtt_site_\(device)/\(channel)/config" }.flatMap {
                json($0.payload)
            }
        }
        let energy = try #require(discovery("main", "energy_import"), "\(all.prefix(5).map(\.topic))")
        #expect(energy["device_class"] as? String == "energy" && energy["state_class"] as? String == "total_increasing")
        #expect(energy["unit_of_measurement"] as? String == "kWh" && energy["state_topic"] as? String == topic)
        let power = try #require(discovery("main", "power"))
        #expect(
            power["device_class"] as? String == "power" && power["state_class"] as? String == "measurement"
                && power["unit_of_measurement"] as? String == "W")
        let water = try #require(discovery("water", "volume"))
        #expect(water["device_class"] as? String == "water" && water["unit_of_measurement"] as? String == "m³")
        #expect((energy["device"] as? [String: Any])?["name"] as? String == "Main meter")

        // Each minute once per channel, as JSON with the local time and offset, equal to the store.
        let minutes = all.filter { $0.topic == topic }.compactMap { json($0.payload) }
        #expect(minutes.count >= 4)
        let times = minutes.compactMap { $0["t"] as? String }
        #expect(Set(times).count == times.count, "a minute published twice: \(times)")
        #expect(times.allSatisfy { $0.count == 25 && ($0.hasSuffix("+01:00") || $0.hasSuffix("+02:00")) }, "\(times)")
        #expect(minutes.allSatisfy { $0["unit"] as? String == "kWh" && $0["v"] is Double })
        let store = try stored(dir, device: "main", column: "energy_import reading [kWh]")
        for m in minutes {
            guard let t = m["t"] as? String, let v = m["v"] as? Double else { continue }
            let local = String(t.prefix(19)).replacingOccurrences(of: "T", with: " ")
            #expect(store[local] == v, "\(t): published \(v), stored \(store[local] ?? -1)")
        }
        // A state topic per device with every channel, and Strata's presence: online, then its
        // goodbye at the stop.
        let state = try #require(all.last { $0.topic == "strata/mqtt-site/main/state" }.flatMap { json($0.payload) })
        #expect(state["power"] is Double && state["energy_import"] is Double && state["t"] is String)
        let status = all.filter { $0.topic == "strata/mqtt-site/status" }.map(\.payload)
        #expect(status.first == "online" && status.last == "offline", "\(status)")
        #expect(all.contains { $0.topic == "strata/mqtt-site/main/availability" && $0.payload == "online" })

        // A calculated channel is published like a meter's, with its own discovery config,
        // and its values are the store's.
        let net = try #require(discovery("calculated", "net"), "\(Set(all.map(\.topic)).sorted())")
        #expect(
            net["device_class"] as? String == "energy"
                && net["state_topic"] as? String == "strata/mqtt-site/calculated/net")
        #expect(all.contains { $0.topic == "strata/mqtt-site/calculated/availability" && $0.payload == "online" })
        let netMinutes = all.filter { $0.topic == "strata/mqtt-site/calculated/net" }.compactMap { json($0.payload) }
        #expect(netMinutes.count >= 3, "\(netMinutes.count)")
        let netStored = try stored(dir, device: "calculated", column: "net reading [kWh]")
        for m in netMinutes {
            guard let t = m["t"] as? String, let v = m["v"] as? Double else { continue }
            let local = String(t.prefix(19)).replacingOccurrences(of: "T", with: " ")
            #expect(netStored[local] == v, "\(t): published \(v), stored \(netStored[local] ?? -1)")
        }

        // Retained: a subscriber arriving after Strata stopped still gets the configs, the
        // last values and the status (flagged as retained by the broker).
        let late = dir.file("late.txt")
        let lateSub = try broker.subscribe(to: late)
        wait(10) { MosquittoBroker.messages(late).contains { $0.topic == topic } }
        MosquittoBroker.end(lateSub)
        let kept = MosquittoBroker.messages(late)
        #expect(
            kept.contains {
                $0.retained && $0.topic == "homeassistant/sensor/strata_mqtt_site_main/energy_import/config"
            })
        #expect(kept.contains { $0.retained && $0.topic == topic })
        #expect(kept.contains { $0.retained && $0.topic == "strata/mqtt-site/status" && $0.payload == "offline" })
    }

    /// The broker stopped for five minutes and started again: the sampler keeps its minutes
    /// on time, and the minutes missed are published after the reconnect, none twice.
    @Test func aBrokerDownForFiveMinutesMissesNothing() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let broker = try MosquittoBroker(port: port, dir: dir.file("broker"))
        let seen = dir.file("seen.txt")
        var sub = try broker.subscribe(to: seen, topic: "strata/+/main/energy_import", session: "checker")
        try dir.write("strata.toml", try config(dir, port: port))
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        defer { if p.process.isRunning { p.process.terminate() } }
        wait(30) { MosquittoBroker.messages(seen).count >= 2 }
        MosquittoBroker.end(sub)
        broker.stop()
        Thread.sleep(forTimeInterval: 5.5) // five minutes at 60×
        try broker.start()
        sub = try broker.subscribe(to: seen, topic: "strata/+/main/energy_import", session: "checker")
        defer { MosquittoBroker.end(sub) }
        // Published after the reconnect (retry backoff: a few seconds), then live again.
        let before = MosquittoBroker.messages(seen).count
        wait(30) { MosquittoBroker.messages(seen).count >= before + 8 }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0)
        #expect(r.stderr.contains("mqtt: not connected"), "one line for the loss: \(r.stderr.suffix(800))")
        #expect(r.stderr.components(separatedBy: "mqtt: connected").count - 1 == 2, "connected, lost, connected again")
        Thread.sleep(forTimeInterval: 0.5)
        MosquittoBroker.end(sub)

        let times = MosquittoBroker.messages(seen).compactMap { json($0.payload)?["t"] as? String }.map {
            String($0.prefix(19)).replacingOccurrences(of: "T", with: " ")
        }
        #expect(Set(times).count == times.count, "doubled: \(times)")
        // Every stored minute between the first and last published one was published.
        let store = try stored(dir, device: "main", column: "energy_import reading [kWh]")
        let storedTimes = store.keys.sorted()
        guard let first = times.min(), let last = times.max() else {
            Issue.record("nothing published")
            return
        }
        let expected = storedTimes.filter { $0 >= first && $0 <= last }
        #expect(expected.count >= 9, "the outage spans minutes: \(expected)")
        #expect(Set(times) == Set(expected), "missing \(Set(expected).subtracting(times).sorted())")
        // The sampler did not wait for the broker: no gap in the store's minutes.
        let fmt = DateFormatter()
        fmt.dateFormat = "yyyy-MM-dd HH:mm:ss"
        fmt.timeZone = TimeZone(identifier: "Europe/Berlin")
        let stamps = storedTimes.compactMap { fmt.date(from: $0)?.timeIntervalSince1970 }
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $1 - $0 == 60 }, "\(storedTimes)")
    }

    /// mqtts:// with the broker's certificate trusted through ca_file; and a wrong password is
    /// one clear log line while the sampler goes on storing minutes.
    @Test func tlsWorksAndAWrongPasswordIsAClearLineNotACrash() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let tls = try SMTPPeer.certificate(in: dir.path)
        let broker = try MosquittoBroker(port: port, dir: dir.file("broker"), tls: tls)
        let seen = dir.file("seen.txt")
        let sub = try broker.subscribe(to: seen, topic: "strata/#", cafile: tls.cert)
        defer { MosquittoBroker.end(sub) }
        let text =
            try config(dir, port: port).replacingOccurrences(
                of: "mqtt://127.0.0.1:\(port)", with: "mqtts://localhost:\(port)")
            + "ca_file = \"\(tls.cert)\"\n"
        try dir.write("strata.toml", text)
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        wait(30) { MosquittoBroker.messages(seen).contains { $0.topic == "strata/mqtt-site/main/power" } }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0)
        #expect(
            MosquittoBroker.messages(seen).contains { $0.topic == "strata/mqtt-site/main/power" },
            "\(r.stderr.suffix(800))")

        // The wrong password: refused by the broker, said once, retried; minutes still stored.
        try dir.write("mqtt.pass", "not-the-password\n")
        let before = try stored(dir, device: "main", column: "power [W]").count
        let q = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        Thread.sleep(forTimeInterval: 6)
        q.process.terminate()
        let r2 = q.finish()
        #expect(r2.status == 0, "\(r2.stderr.suffix(800))")
        let refusals = r2.stderr.components(separatedBy: "mqtt: the broker refused the connection").count - 1
        #expect(refusals == 1, "\(r2.stderr.suffix(1500))")
        #expect(try stored(dir, device: "main", column: "power [W]").count >= before + 3)
    }

    func publish(_ broker: MosquittoBroker, topic: String, _ args: [String], input: String? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        p.arguments =
            [
                "-h", "127.0.0.1", "-p", String(broker.port), "-u", broker.user, "-P", broker.password, "-q", "1", "-t",
                topic,
            ] + args
        let stdin = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        p.waitUntilExit()
    }

    /// A Tasmota-style meter fed with mosquitto_pub: its minutes (first counter reading of a
    /// minute, mean of the gauge's) land in the store and the archive; non-JSON, wrong types,
    /// a 10 MB payload and a flood are counted and logged, never stored, and Strata goes on.
    @Test func anMQTTMeterLandsInTheStoreAndBadInputIsCounted() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let broker = try MosquittoBroker(port: port, dir: dir.file("broker"))
        try dir.write("mqtt.pass", "broker-secret\n")
        try dir.write(
            "strata.toml",
            SiteTOML.header(
                name: "MQTT in", timezone: "UTC", store: dir.file("store.sqlite"), archive: dir.file("archive"),
                dialects: ["iso"]) + """

                    [[devices]]
                    id = "meter1"
                    name = "Tasmota meter"
                    driver = "mqtt"
                    topic = "tele/meter1/SENSOR"
                    time_path = "Time"

                      [[devices.channels]]
                      id = "energy"
                      unit = "kWh"
                      kind = "counter"
                      resolution = 0.001
                      path = "ENERGY.Total"

                      [[devices.channels]]
                      id = "power"
                      unit = "W"
                      kind = "gauge"
                      resolution = 0.1
                      path = "ENERGY.Power"

                    [mqtt]
                    url = "mqtt://127.0.0.1:\(port)"
                    username = "strata"
                    password_file = "\(dir.file("mqtt.pass"))"
                    discovery = false
                    """)
        // 2026-12-02 07:00 UTC at 60× real time: the messages below cover 07:00-07:04.
        let start: Int64 = 1_796_194_800
        let p = try CLI.start([
            "run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--clock-start", "\(start - 30)",
        ])
        defer { if p.process.isRunning { p.process.terminate() } }
        // Subscribed (the broker's log says so) before anything is published.
        wait(15) {
            ((try? String(contentsOfFile: broker.dir + "/mosquitto.log", encoding: .utf8)) ?? "").contains(
                " tele/meter1/SENSOR")
        }
        // Three messages a minute for five minutes, with their own times (Tasmota's local
        // "Time", no offset): the counter rises by 0.05 kWh a message, the power varies.
        var lines: [String] = []
        var expectEnergy: [Int64: Double] = [:]
        var powers: [Int64: [Double]] = [:]
        // And one at 07:20: the roll-up (and with it the archive) waits for data past a quarter.
        for (k, t) in ((0..<15).map { start + Int64($0) * 20 } + [start + 1200]).enumerated() {
            let energy = 100 + 0.05 * Double(k)
            let power = 1000 + Double((k * 37) % 200)
            let m = t - t % 60
            if expectEnergy[m] == nil { expectEnergy[m] = energy }
            powers[m, default: []].append(power)
            let local = Date(timeIntervalSince1970: TimeInterval(t)).ISO8601Format(
                .iso8601.year().month().day().time(includingFractionalSeconds: false).dateTimeSeparator(.standard))
            lines.append(
                #"{"Time":"\#(local.replacingOccurrences(of: "Z", with: ""))","ENERGY":{"Total":\#(energy),"Power":\#(power)}}"#
            )
        }
        try publish(broker, topic: "tele/meter1/SENSOR", ["-l"], input: lines.joined(separator: "\n") + "\n")
        // Bad input: not JSON, wrong types, 10 MB, and a flood of 5,000 messages.
        try publish(broker, topic: "tele/meter1/SENSOR", ["-m", "hello"])
        try publish(broker, topic: "tele/meter1/SENSOR", ["-m", #"{"ENERGY":{"Total":"lots","Power":true}}"#])
        try dir.write(
            "big.json", "{\"ENERGY\":{\"Total\":1,\"x\":\"" + String(repeating: "x", count: 10_000_000) + "\"}}")
        try publish(broker, topic: "tele/meter1/SENSOR", ["-f", dir.file("big.json")])
        try publish(
            broker, topic: "tele/meter1/SENSOR", ["-l"], input: String(repeating: "{\"flood\":1}\n", count: 5_000))
        // The minutes close as the sampler's clock passes them (07:05 and a round after).
        wait(30) { ((try? stored(dir, device: "meter1", column: "power [W]").count) ?? 0) >= 6 }
        func archived() -> [String] {
            FileManager.default.enumerator(atPath: dir.file("archive"))?.compactMap { $0 as? String } ?? []
        }
        wait(30) { archived().contains { $0.hasPrefix("iso/meter1/minute/") && $0.hasSuffix(".csv") } }
        let rss =
            (try? String(contentsOfFile: "/proc/\(p.process.processIdentifier)/status", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap {
                Int($0.split(separator: " ").dropFirst().first ?? "")
            } ?? 0
        #expect(p.process.isRunning, "Strata survived the bad input")
        p.process.terminate()
        let r = p.finish()
        let err = r.stderr
        #expect(r.status == 0, "\(err.suffix(1500))")
        #expect(err.contains("mqtt devices: connected"))
        #expect(rss < 400_000, "resident memory \(rss) kB after a 10 MB payload and a flood")
        #expect(err.contains("mqtt device: messages not used"), "\(err.suffix(1500))")

        let energy = try stored(dir, device: "meter1", column: "energy reading [kWh]")
        let power = try stored(dir, device: "meter1", column: "power [W]")
        func local(_ t: Int64) -> String { LocalTimeText.utc(t) }
        for (m, e) in expectEnergy {
            #expect(
                energy[local(m)] == (e * 1000).rounded() / 1000,
                "\(local(m)): \(energy[local(m)] ?? -1) stored, \(e) first in the minute")
            let mean = (powers[m] ?? []).reduce(0, +) / Double(powers[m]?.count ?? 1)
            #expect(
                abs((power[local(m)] ?? -1) - mean) < 0.051,
                "\(local(m)): \(power[local(m)] ?? -1) stored, mean \(mean)")
        }
        #expect(energy.count == 6 && power.count == 6, "nothing else stored: \(energy.keys.sorted())")
        // And in the archive, as every other meter's minutes.
        #expect(
            archived().contains { $0.hasPrefix("iso/meter1/minute/") && $0.hasSuffix(".csv") },
            "\(archived().prefix(10))")
    }

    /// `strata demo --mqtt URL`: the demo's meters on the broker, with discovery.
    @Test func theDemoPublishesWhenGivenABroker() throws {
        let dir = TempDir()
        let port = Net.freePort()
        let broker = try MosquittoBroker(port: port, dir: dir.file("broker"), anonymous: true)
        let seen = dir.file("seen.txt")
        let sub = try broker.subscribe(to: seen)
        defer { MosquittoBroker.end(sub) }
        let p = try CLI.start([
            "demo", "--data", dir.file("demo"), "--days", "1", "--time-scale", "30", "--ftp-port", "\(Net.freePort())",
            "--web-port", "\(Net.freePort())", "--mqtt", "mqtt://127.0.0.1:\(port)",
        ])
        defer { if p.process.isRunning { p.process.terminate() } }
        wait(90) {
            MosquittoBroker.messages(seen).contains { $0.topic == "strata/strata-demo-office/main/energy_import" }
        }
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0)
        #expect(r.stdout.contains("mqtt     mqtt://127.0.0.1:\(port)"), "\(r.stdout)")
        let all = MosquittoBroker.messages(seen)
        #expect(
            all.contains { $0.topic == "strata/strata-demo-office/main/energy_import" }, "\(all.prefix(5).map(\.topic))"
        )
        #expect(
            all.contains {
                $0.topic == "homeassistant/sensor/strata_strata_demo_office_gas/volume/config"
                    && $0.payload.contains("\"device_class\":\"gas\"")
            })
        #expect(
            all.contains {
                $0.topic == "homeassistant/sensor/strata_strata_demo_office_water/volume/config"
                    && $0.payload.contains("\"device_class\":\"water\"")
            })
        let bad = try CLI.run(["demo", "--data", dir.file("demo2"), "--mqtt", "http://broker"])
        #expect(bad.status == 2 && bad.stderr.contains("--mqtt http://broker"))
    }

    /// An [mqtt] that cannot be set up (its password file is gone) is an error line; the
    /// meters are sampled and stored all the same.
    @Test func aBrokenMQTTSetupDoesNotStopSampling() throws {
        let dir = TempDir()
        try dir.write("strata.toml", try config(dir, port: Net.freePort()))
        try FileManager.default.removeItem(atPath: dir.file("mqtt.pass"))
        let p = try CLI.start(["run", "--config", dir.file("strata.toml"), "--time-scale", "60", "--no-archive"])
        wait(20) { ((try? stored(dir, device: "main", column: "power [W]").count) ?? 0) >= 3 }
        #expect(p.process.isRunning)
        p.process.terminate()
        let r = p.finish()
        #expect(r.status == 0, "\(r.stderr.suffix(800))")
        #expect(r.stderr.contains("mqtt: not publishing; fix [mqtt] and restart"), "\(r.stderr.suffix(800))")
        #expect(try stored(dir, device: "main", column: "power [W]").count >= 3)
    }
}

/// `YYYY-MM-DD hh:mm:ss` in UTC, as `strata export` writes a UTC site's local time.
enum LocalTimeText {
    static func utc(_ t: Int64) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}
