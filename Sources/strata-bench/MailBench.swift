import Foundation
import StrataMail

/// Report e-mail: building MIME messages (against Python's email package) and delivering them
/// over one SMTP session (against Python's smtplib), to the same aiosmtpd server in the same run.
enum MailBench {
    static func run(dir: String, count: Int, sizeKB: Int) async throws {
        let port = PollBench.freePort()
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: PollBench.python)
        peer.arguments = [
            PollBench.repo + "/tools/smtp-peer/smtp_peer.py", "--port", "\(port)", "--maildir", dir + "/maildir",
        ]
        let out = Pipe()
        peer.standardOutput = out
        peer.standardError = FileHandle.nullDevice
        try peer.run()
        defer { kill(peer.processIdentifier, SIGKILL) }
        _ = out.fileHandleForReading.availableData // "ready"

        var data = [UInt8](repeating: 0, count: sizeKB * 1024)
        for i in data.indices { data[i] = UInt8.random(in: 0...255) }
        let text = "Monthly report\n" + String(repeating: "Main meter: 12345.678 kWh\n", count: 40)
        let html =
            "<html><body>" + String(repeating: "<tr><td>Main</td><td>12345.678 kWh</td></tr>", count: 40)
            + "</body></html>"
        let t0 = Date()
        var bodies: [[UInt8]] = []
        for i in 0..<count {
            let m = MailMessage(
                from: "strata@example.org", to: ["fm@example.org"], subject: "Monatsbericht \(i) – Werk Süd",
                date: 1_795_334_400,
                messageID: "bench.\(i)@example.org", text: text, html: html,
                attachments: [MailAttachment(filename: "report-\(i).zip", contentType: "application/zip", data: data)])
            bodies.append(m.render())
        }
        let build = Date().timeIntervalSince(t0)
        let emlDir = dir + "/eml"
        try FileManager.default.createDirectory(atPath: emlDir, withIntermediateDirectories: true)
        for (i, b) in bodies.enumerated() {
            try Data(b).write(to: URL(fileURLWithPath: emlDir + "/\(String(format: "%05d", i)).eml"))
        }

        let server = SMTPServer(host: "127.0.0.1", port: port, security: .none, timeout: 60)
        let c0 = Bench.cpuSeconds()
        let s0 = Date()
        let result = await SMTPClient.deliver(
            bodies.map { SMTPEnvelope(from: "strata@example.org", to: "fm@example.org", message: $0) }, to: server)
        let sendWall = Date().timeIntervalSince(s0)
        let sendCPU = Bench.cpuSeconds() - c0
        let accepted = result.outcomes.filter { if case .accepted = $0 { true } else { false } }.count

        let ref = Process()
        ref.executableURL = URL(fileURLWithPath: PollBench.python)
        ref.arguments = [
            PollBench.repo + "/tools/smtp-peer/bench_smtplib.py", "--port", "\(port)", "--dir", emlDir,
            "--count", "\(count)", "--size", "\(sizeKB)",
        ]
        let refOut = Pipe()
        ref.standardOutput = refOut
        try ref.run()
        let refData = refOut.fileHandleForReading.readDataToEndOfFile()
        ref.waitUntilExit()
        let r = (try JSONSerialization.jsonObject(with: refData) as? [String: Double]) ?? [:]
        let mb = Double(bodies.reduce(0) { $0 + $1.count }) / 1e6
        print(
            "mail: \(count) messages of \(sizeKB) KB attachment (\(String(format: "%.1f", mb)) MB on the wire), \(accepted) accepted"
        )
        print(
            String(
                format: "  build   strata %.3f s   python email %.3f s   ratio %.2f", build, r["build_s"] ?? .nan,
                build / (r["build_s"] ?? .nan)))
        print(
            String(
                format:
                    "  send    strata %.3f s wall %.3f s CPU   smtplib %.3f s wall %.3f s CPU   ratio wall %.2f CPU %.2f",
                sendWall, sendCPU, r["send_wall_s"] ?? .nan, r["send_cpu_s"] ?? .nan,
                sendWall / (r["send_wall_s"] ?? .nan), sendCPU / (r["send_cpu_s"] ?? .nan)))
    }
}
