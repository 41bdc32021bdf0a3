import Foundation

/// Two linked pseudo-terminals (socat): Strata opens one end as its RS485 port, the Modbus
/// simulator the other. Killed when the test lets go of it.
public final class SerialPair {
    public let strata: String
    public let meter: String
    let socat = Process()

    public init(in dir: TempDir) throws {
        strata = dir.file("ttyStrata")
        meter = dir.file("ttyMeter")
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["pty,raw,echo=0,link=\(strata)", "pty,raw,echo=0,link=\(meter)"]
        socat.standardError = FileHandle.nullDevice
        socat.standardOutput = FileHandle.nullDevice
        try socat.run()
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: meter) { Thread.sleep(forTimeInterval: 0.1) }
    }

    deinit {
        kill(socat.processIdentifier, SIGKILL)
        socat.waitUntilExit()
    }
}
