import Foundation
import StrataCore
import StrataMQTT
import StrataMQTTLink

/// `strata-bench mqtt`: publishing a site of `channels` channels (250 devices of 20) for
/// `minutes` minutes to a local mosquitto at QoS 1, as `MQTTService` does (the minute's messages
/// built, then handed to libmosquitto); the broker-side rate is counted by a `mosquitto_sub`.
/// The reference is `mosquitto_pub -l` sending the same number of messages of the same size
/// in the same run: the C client in its fastest loop.
enum MQTTBench {
    static func run(dir: String, channels: Int, minutes: Int, port: Int) throws {
        let broker = try startBroker(dir: dir, port: port)
        defer {
            kill(broker.processIdentifier, SIGKILL)
            broker.waitUntilExit()
        }
        let zone = ZoneRules(identifier: "Europe/Paris")!
        let devices = max(1, channels / 20)
        let specs: [ChannelSpec] = (0..<devices).flatMap { d in
            (1...20).map { c in
                c % 2 == 1
                    ? ChannelSpec(
                        device: "d\(d)", id: "c\(c)", unit: "kWh", kind: .counter, resolution: Resolution(decimals: 3))
                    : ChannelSpec(
                        device: "d\(d)", id: "c\(c)", unit: "W", kind: .gauge, resolution: Resolution(decimals: 1))
            }
        }
        let mm = MinuteMessages(prefix: "strata/bench", zone: zone, retain: true)
        let start: Int64 = 1_767_222_000
        let perMinute = mm.messages(minute: start, values: specs.map { .init(channel: $0, value: 1234.5) }).count
        let total = perMinute * minutes

        // Strata: build and publish each minute; CPU of this process, wall time to the last
        // message counted by the subscriber.
        var sub = try subscriber(port: port, topic: "strata/bench/#", count: total)
        Thread.sleep(forTimeInterval: 0.3)
        let link = try MQTTLink(MQTTLink.Settings(host: "127.0.0.1", port: port, clientID: "strata-bench", tls: false))
        let up = DispatchSemaphore(value: 0)
        try link.start { if $0 == .connected { up.signal() } }
        _ = up.wait(timeout: .now() + 10)
        let cpu0 = cpuSeconds()
        let t0 = Date()
        var bytes = 0
        for m in 0..<minutes {
            let msgs = mm.messages(
                minute: start + Int64(m) * 60, values: specs.map { .init(channel: $0, value: 1234.5 + Double(m)) })
            for msg in msgs {
                bytes += msg.payload.count + msg.topic.utf8.count
                while true {
                    do {
                        try link.publish(msg, qos: 1)
                        break
                    } catch {
                        Thread.sleep(forTimeInterval: 0.001) // libmosquitto's queue is full: let it drain
                    }
                }
            }
        }
        let cpuPublish = cpuSeconds() - cpu0
        sub.waitUntilExit()
        let strataWall = Date().timeIntervalSince(t0)
        link.stop()

        // The reference: mosquitto_pub -l with as many lines of the mean message size.
        let size = bytes / total
        let line = String(repeating: "x", count: max(1, size - 30))
        sub = try subscriber(port: port, topic: "ref/#", count: total)
        Thread.sleep(forTimeInterval: 0.3)
        let pub = Process()
        pub.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        pub.arguments = ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", "ref/bench", "-l"]
        let input = Pipe()
        pub.standardInput = input
        let t1 = Date()
        try pub.run()
        let chunk = Data(String(repeating: line + "\n", count: perMinute).utf8)
        for _ in 0..<minutes { input.fileHandleForWriting.write(chunk) }
        try input.fileHandleForWriting.close()
        pub.waitUntilExit()
        sub.waitUntilExit()
        let refWall = Date().timeIntervalSince(t1)

        print(
            "# mqtt: \(channels) channels (\(devices) devices), \(perMinute) messages a minute (with the device states), \(minutes) minutes, \(total) messages of \(size) bytes on average, QoS 1, loopback"
        )
        print(
            String(
                format:
                    "strata: %.1f ms CPU a minute to build and hand over its messages; %.0f messages/s at the subscriber (%.2f s)",
                cpuPublish / Double(minutes) * 1000, Double(total) / strataWall, strataWall))
        print(
            String(
                format: "reference mosquitto_pub -l: %.0f messages/s at the subscriber (%.2f s)",
                Double(total) / refWall, refWall))
        print(String(format: "ratio: %.2f× the reference's rate", refWall / strataWall))
    }

    static func startBroker(dir: String, port: Int) throws -> Process {
        let conf = dir + "/mosquitto-bench.conf"
        try
            "\(getuid() == 0 ? "user root\n" : "")listener \(port) 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        p.arguments = ["-c", conf]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 0.5)
        return p
    }

    /// A subscriber that exits after `count` messages.
    static func subscriber(port: Int, topic: String, count: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        p.arguments = ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-q", "1", "-C", String(count)]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(
            u.ru_stime.tv_usec) / 1e6
    }
}
