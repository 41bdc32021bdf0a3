import Dispatch
import Foundation
import Logging
import StrataConfig
import StrataModbus

/// The outcome of polling one device once.
public struct PollResult: Sendable {
    public var device: String
    /// One value per register of the device (nil: not read).
    public var values: [Double?]
    public var error: ModbusError?
}

/// One Modbus line: a serial bus or a TCP host:port (a meter or a gateway with many unit
/// ids). Its devices are polled one after another on the bus's own queue, because a line
/// carries one request at a time and libmodbus blocks; different buses poll in parallel.
public final class Bus: @unchecked Sendable {
    public let key: String
    let transport: StrataConfig.Transport
    let devices: [StrataConfig.Device]
    let logger: Logger
    private let queue: DispatchQueue

    // Confined to `queue`.
    private var link: ModbusLink?
    private var nextConnect: Double = 0
    private var backoff: Double = 0
    private var lastConnectError: ModbusError?
    private var plans: [String: ReadPlan] = [:]

    init(key: String, transport: StrataConfig.Transport, devices: [StrataConfig.Device], logger: Logger) {
        self.key = key
        self.transport = transport
        self.devices = devices
        self.logger = logger
        queue = DispatchQueue(label: "strata.bus.\(key)")
    }

    /// Polls the given devices in order; always returns one result per device.
    func poll(_ due: [StrataConfig.Device]) async -> [PollResult] {
        await withCheckedContinuation { (cont: CheckedContinuation<[PollResult], Never>) in
            queue.async {
                cont.resume(returning: due.map { self.pollOne($0) })
            }
        }
    }

    private func now() -> Double { Date().timeIntervalSince1970 }

    private func ensureLink(timeout: Double) throws(ModbusError) -> ModbusLink {
        if let link, link.connected { return link }
        if now() < nextConnect, let e = lastConnectError { throw e }
        do {
            let l = try link ?? ModbusLink(transport: transport)
            link = l
            try l.connect(timeout: timeout)
            backoff = 0
            lastConnectError = nil
            return l
        } catch let error as ModbusError {
            // Reconnect with backoff: a dead gateway is tried again after 1, 2, 4 … 60 s.
            backoff = min(60, max(1, backoff * 2))
            nextConnect = now() + backoff
            lastConnectError = error
            throw error
        } catch {
            throw .io("\(error)")
        }
    }

    private func pollOne(_ d: StrataConfig.Device) -> PollResult {
        guard let m = d.modbus else {
            return PollResult(device: d.id, values: [], error: .cannotOpen("not a Modbus device"))
        }
        var values = [Double?](repeating: nil, count: d.registers.count)
        do {
            let plan = try plan(for: d, settings: m)
            var answers = [[UInt16]?](repeating: nil, count: plan.blocks.count)
            var firstError: ModbusError?
            for (i, b) in plan.blocks.enumerated() {
                do {
                    answers[i] = try read(b, unit: m.unitID, settings: m)
                } catch {
                    firstError = firstError ?? error
                    // A meter that does not answer will not answer the next block either.
                    if !error.isException { break }
                }
            }
            let decoded = plan.decode(answers)
            // The plan's registers are the device's, except SunSpec's resolved addresses: same order.
            for i in values.indices where i < decoded.count { values[i] = decoded[i] }
            return PollResult(device: d.id, values: values, error: firstError)
        } catch {
            return PollResult(device: d.id, values: values, error: error)
        }
    }

    private func plan(for d: StrataConfig.Device, settings m: StrataConfig.ModbusSettings) throws(ModbusError)
        -> ReadPlan
    {
        if let p = plans[d.id] { return p }
        let profile = d.profile
        var registers = d.registers
        if profile?.discovery == .sunspec {
            let l = try ensureLink(timeout: m.timeout)
            l.setTimeout(m.timeout)
            let meter: SunSpec.Meter
            do {
                meter = try SunSpec.locateMeter { (addr: Int, count: Int) throws(ModbusError) -> [UInt16] in
                    try l.read(unit: m.unitID, block: ReadBlock(function: .holding, start: addr, count: count))
                }
            } catch let e as ModbusError {
                throw e
            } catch {
                throw .garbled("\(error)")
            }
            logger.notice(
                "SunSpec meter found",
                metadata: ["device": "\(d.id)", "model": "\(meter.model)", "address": "\(meter.start - 2)"])
            registers = SunSpec.resolve(registers, at: meter)
        }
        let p = ReadPlan(
            registers: registers, maxBlock: profile?.maxBlock ?? ReadPlan.protocolMaximum, maxGap: profile?.maxGap)
        plans[d.id] = p
        return p
    }

    private func read(_ b: ReadBlock, unit: Int, settings m: StrataConfig.ModbusSettings) throws(ModbusError)
        -> [UInt16]
    {
        var attempt = 0
        while true {
            do {
                let l = try ensureLink(timeout: m.timeout)
                l.setTimeout(m.timeout)
                return try l.read(unit: unit, block: b)
            } catch {
                if error.breaksLink, let l = link {
                    // After a timeout or reset the stream may hold a late answer: start clean.
                    l.close()
                }
                attempt += 1
                if attempt > m.retries || error.isException || lastConnectError != nil { throw error }
            }
        }
    }
}

extension ModbusError {
    var isException: Bool { if case .exception = self { true } else { false } }
}
