import Foundation
import Logging
import Metrics
import StrataConfig
import StrataCore
import StrataStore
import Synchronization

/// Reads every device on its schedule and writes each round in one transaction.
///
/// A dead meter is a gap for its minute and a status change, never an error that stops the
/// loop; a failed write (a full disk) keeps the round in memory and retries it next round.
public final class Sampler {
    public static let plausibleAfter: Int64 = 1_767_225_600 // 2026-01-01: no reading is older than Strata

    let config: StrataConfig
    let store: any SampleStore
    let clock: any WallClock
    let logger: Logger
    let schedule: PollSchedule
    let buses: [Bus]
    let busOf: [String: Bus]
    var meters: [String: SimulatedMeter] = [:]
    var health: [String: DeviceStatus] = [:]
    var accumulators: [String: MinuteAccumulator] = [:]
    /// Per device: store ids of its channels, and of the min/max channels of fast-polled gauges.
    var ids: [String: [Int64?]] = [:]
    var minIDs: [String: [Int64?]] = [:]
    var maxIDs: [String: [Int64?]] = [:]
    var guardian: ClockGuard
    var pending: [Sample] = []
    var implausibleLogged = false
    var behindLogged = false
    /// What the store last heard of the clock (nil: nothing yet), for system alarm rules.
    var clockReported: Bool?
    /// MQTT devices' messages, between rounds; nil without such devices.
    let inbox: (any MessageInbox)?
    /// MQTT devices whose malformed messages were logged (once per change of state).
    var malformedLogged: Set<String> = []
    /// The first tick sampled (a simulated meter's outages count from it).
    var startedAt: Int64?
    public private(set) var rounds = 0

    let polled: [StrataConfig.Device]
    let polledByID: [String: StrataConfig.Device]

    /// `inbox`: the messages of `driver = "mqtt"` devices (nil: they are gaps).
    public init(
        config: StrataConfig, store: any SampleStore, clock: any WallClock, logger: Logger,
        inbox: (any MessageInbox)? = nil
    ) async throws {
        self.config = config
        self.store = store
        self.clock = clock
        self.logger = logger
        polled = config.devices.filter(\.isPolled)
        polledByID = Dictionary(uniqueKeysWithValues: polled.map { ($0.id, $0) })
        schedule = PollSchedule(intervals: polled.map(\.poll))
        var byKey: [String: [StrataConfig.Device]] = [:]
        var order: [String] = []
        for d in polled {
            guard let m = d.modbus else { continue }
            if byKey[m.transport.busKey] == nil { order.append(m.transport.busKey) }
            byKey[m.transport.busKey, default: []].append(d)
        }
        self.inbox = inbox
        buses = order.compactMap { k in
            guard let ds = byKey[k], let t = ds.first?.modbus?.transport else { return nil }
            return Bus(key: k, transport: t, devices: ds, logger: logger)
        }
        var bo: [String: Bus] = [:]
        for b in buses { for d in b.devices { bo[d.id] = b } }
        busOf = bo
        let all = await store.channelIDs()
        let saved = try await store.statuses()
        for d in polled {
            let chans = all[d.id] ?? [:]
            ids[d.id] = d.channels.map { chans[$0.id] }
            minIDs[d.id] = d.channels.map { chans[$0.id + "_min"] }
            maxIDs[d.id] = d.channels.map { chans[$0.id + "_max"] }
            health[d.id] = saved[d.id] ?? DeviceStatus(device: d.id)
            if d.poll < 60 || d.mqttSource != nil {
                accumulators[d.id] = MinuteAccumulator(
                    isCounter: d.channels.prefix(d.readCount).map { $0.kind == .counter })
            }
            if d.isSimulated {
                var m = SimulatedMeter(device: d, zone: config.site.zone)
                let last = try await store.lastReadings(ids[d.id]?.map { $0 ?? -1 } ?? [])
                m.resume(from: last.map { $0?.value }, at: last.compactMap { $0?.ts }.max().map(Double.init))
                meters[d.id] = m
            }
        }
        guardian = ClockGuard(plausibleAfter: Self.plausibleAfter, lastWritten: try await store.newestMinute())
    }

    /// Runs until the task is cancelled; the round in progress is always finished and written.
    public func run() async {
        logger.notice(
            "sampler started",
            metadata: [
                "devices": "\(polled.count)", "buses": "\(buses.count)", "step": "\(schedule.step)s",
            ])
        var tick = schedule.tick(after: clock.now())
        if let inbox {
            let clock = self.clock
            let logger = self.logger
            let last = Mutex<String?>(nil)
            do {
                try inbox.start(now: { clock.now() }) { change in
                    guard
                        last.withLock({ l in
                            defer { l = change.state }
                            return l != change.state
                        })
                    else { return }
                    switch change {
                    case .connected: logger.notice("mqtt devices: connected to the broker")
                    case .refused(let reason):
                        logger.error(
                            "mqtt devices: the broker refused the connection; retrying",
                            metadata: ["reason": "\(reason)"])
                    case .lost(let reason):
                        logger.warning(
                            "mqtt devices: not connected; their minutes are gaps until it is back",
                            metadata: ["reason": "\(reason)"])
                    }
                }
            } catch {
                logger.error("mqtt devices: cannot start the client", metadata: ["error": "\(error)"])
            }
        }
        defer { inbox?.stop() }
        while !Task.isCancelled {
            do { try await clock.sleep(until: Double(tick)) } catch { break }
            let now = clock.now()
            let tolerance = min(clock.lateTolerance, Double(schedule.step) / 2)
            switch guardian.check(now: now, tick: tick, tolerance: tolerance) {
            case .sample:
                implausibleLogged = false
                behindLogged = false
                await reportClock(trouble: false, now: now)
                if startedAt == nil { startedAt = tick }
                await round(at: tick)
                tick += schedule.step
            case .implausible:
                if !implausibleLogged {
                    logger.error(
                        "system clock is not plausible; not sampling until it is set (NTP?)",
                        metadata: ["clock": "\(Int64(now))", "plausible_after": "\(Sampler.plausibleAfter)"])
                    implausibleLogged = true
                }
                await reportClock(trouble: true, now: now)
                tick = schedule.tick(after: now)
            case .behindStore(let last):
                if !behindLogged {
                    logger.warning(
                        "system clock is at or before the newest stored minute; waiting for it to pass",
                        metadata: ["clock": "\(Int64(now))", "newest": "\(last)"])
                    behindLogged = true
                }
                await reportClock(trouble: true, now: now)
                tick = max(
                    schedule.tick(after: now),
                    last + schedule.step - ((last % schedule.step) + schedule.step) % schedule.step)
            case .missed(let by):
                if by > Double(schedule.step) * 1.5 {
                    logger.warning(
                        "clock jumped forward or the sampler was held up; the minutes in between are gaps",
                        metadata: ["seconds": "\(Int64(by))"])
                }
                tick = schedule.tick(after: now)
            case .early(let by):
                logger.warning("clock stepped back", metadata: ["seconds": "\(Int64(by))"])
                tick = schedule.tick(after: now) <= tick ? tick : schedule.tick(after: now)
            }
        }
        await flushAccumulators()
        logger.notice("sampler stopped", metadata: ["rounds": "\(rounds)"])
    }

    private func reportClock(trouble: Bool, now: Double) async {
        guard clockReported != trouble else { return }
        clockReported = trouble
        await store.clockTrouble(trouble, now: Int64(now.rounded(.down)))
    }

    /// Polls every device due at `tick` and writes what came back.
    public func round(at tick: Int64) async {
        let due = polled.filter { schedule.isDue(interval: $0.poll, at: tick) }
        let started = ContinuousClock.now
        defer {
            if !due.isEmpty {
                Timer(label: "strata_poll_round_seconds").record(duration: ContinuousClock.now - started)
            }
        }
        var results = await poll(due, at: tick)
        let taken = takeMessages(due, into: &results)
        var samples = pending
        var statuses: [DeviceStatus] = []
        let minute = tick - ((tick % 60) + 60) % 60
        for var r in results {
            guard let d = polledByID[r.device], let chIDs = ids[r.device] else { continue }
            if let h = judge(&r, device: d, at: tick, taken: taken[r.device]) { statuses.append(h) }
            samples += self.samples(r, device: d, channels: chIDs, minute: minute, tick: tick, taken: taken[r.device])
        }
        guardian.lastWritten = tick
        rounds += 1
        await commit(samples, statuses)
    }

    /// The due Modbus devices, each bus on its own thread at once, and the simulated meters.
    func poll(_ due: [StrataConfig.Device], at tick: Int64) async -> [PollResult] {
        var results: [PollResult] = []
        await withTaskGroup(of: [PollResult].self) { group in
            for bus in buses {
                let mine = due.filter { busOf[$0.id] === bus }
                if !mine.isEmpty { group.addTask { await bus.poll(mine) } }
            }
            for await r in group { results += r }
        }
        for d in due where d.isSimulated {
            if let o = d.simulation?.outage, let start = startedAt, o.isQuiet(at: tick, start: start) {
                results.append(
                    PollResult(device: d.id, values: Array(repeating: nil, count: d.readCount), error: .timeout))
                continue
            }
            guard var m = meters[d.id] else { continue }
            results.append(PollResult(device: d.id, values: m.read(at: Double(tick)), error: nil))
            meters[d.id] = m
        }
        return results
    }

    /// What the inbox holds for the due MQTT devices; each gets a result (an error when
    /// nothing usable came) so that its status follows its messages.
    func takeMessages(_ due: [StrataConfig.Device], into results: inout [PollResult]) -> [String: InboxTaken] {
        var taken: [String: InboxTaken] = [:]
        guard let inbox else { return taken }
        for d in due {
            guard let src = d.mqttSource else { continue }
            let t = inbox.take(d.id)
            taken[d.id] = t
            if t.malformed > 0 || t.dropped > 0 {
                Counter(label: "strata_mqtt_malformed_total", dimensions: [("device", d.id)]).increment(
                    by: t.malformed + t.dropped)
                if malformedLogged.insert(d.id).inserted {
                    logger.warning(
                        "mqtt device: messages not used (malformed or a flood); counted, never stored",
                        metadata: [
                            "device": "\(d.id)", "topic": "\(src.topic)", "malformed": "\(t.malformed)",
                            "dropped": "\(t.dropped)",
                            "last": "\(t.lastFailure ?? "-")",
                        ])
                }
            } else if !t.readings.isEmpty {
                malformedLogged.remove(d.id)
            }
            let err: ModbusError? =
                t.readings.isEmpty
                ? (t.malformed > 0
                    ? .garbled("malformed messages on \(src.topic): \(t.lastFailure ?? "")")
                    : .io("no message on \(src.topic) in the last minute"))
                : nil
            results.append(PollResult(device: d.id, values: [], error: err))
        }
        return taken
    }

    /// Drops the values no resolution can hold and updates the device's status (logging its
    /// changes); the status to store, if the device has one.
    func judge(_ r: inout PollResult, device d: StrataConfig.Device, at tick: Int64, taken: InboxTaken?)
        -> DeviceStatus?
    {
        // A value no resolution can hold (a float32 of 3.4e38 from a broken register) is a
        // bad reading: a gap for that channel, counted in the device's status, never stored.
        var bad: [String] = []
        for (i, v) in r.values.enumerated() {
            if let v, i < d.channels.count, !d.channels[i].resolution.accepts(v) {
                r.values[i] = nil
                bad.append("\(d.channels[i].id) = \(v)")
            }
        }
        let ok = d.mqttSource != nil ? taken?.readings.isEmpty == false : r.values.contains { $0 != nil }
        let message = r.error.map(\.description) ?? (ok ? nil : "no values")
        Counter(label: "strata_polls_total", dimensions: [("device", r.device)]).increment()
        if message != nil {
            Counter(label: "strata_poll_failures_total", dimensions: [("device", r.device)]).increment()
        }
        guard var h = health[r.device] else { return nil }
        switch h.record(at: tick, error: message) {
        case .failing(let e)?:
            logger.warning(
                "device failing; its minutes are gaps until it answers",
                metadata: ["device": "\(r.device)", "error": "\(e)"])
        case .recovered(let n)?:
            logger.notice("device answers again", metadata: ["device": "\(r.device)", "failed_polls": "\(n)"])
        case nil: break
        }
        if !bad.isEmpty, h.recordBadReadings(bad.count, at: tick) {
            logger.warning(
                "implausible readings dropped; those channels are gaps",
                metadata: ["device": "\(r.device)", "values": "\(bad.joined(separator: ", "))"])
        }
        health[r.device] = h
        return h
    }

    /// A result's minute samples: as read (polled once a minute), or folded into the minute's
    /// accumulator (faster polls, MQTT messages) and given when its minute is over.
    func samples(
        _ r: PollResult, device d: StrataConfig.Device, channels chIDs: [Int64?], minute: Int64, tick: Int64,
        taken: InboxTaken?
    ) -> [Sample] {
        var samples: [Sample] = []
        if d.mqttSource != nil, var acc = accumulators[r.device] {
            // Each message as a fast poll would be: the first counter reading of a minute,
            // the mean of a gauge's.
            for reading in (taken?.readings ?? []).sorted(by: { $0.ts < $1.ts }) {
                if let done = acc.add(ts: reading.ts, values: reading.values) {
                    samples += minuteSamples(d.id, done)
                }
            }
            // The minute before this round's is over.
            if let open = acc.minute, open <= tick - 60, let done = acc.close() {
                samples += minuteSamples(d.id, done)
            }
            accumulators[r.device] = acc
        } else if d.poll >= 60 {
            for (i, v) in r.values.enumerated() where i < chIDs.count {
                if let v, let id = chIDs[i] { samples.append(Sample(channel: id, ts: minute, value: v)) }
            }
        } else if var acc = accumulators[r.device] {
            if let done = acc.add(ts: tick, values: r.values) { samples += minuteSamples(d.id, done) }
            accumulators[r.device] = acc
        }
        return samples
    }

    func minuteSamples(_ device: String, _ done: (minute: Int64, values: [MinuteAccumulator.MinuteValue?])) -> [Sample]
    {
        var out: [Sample] = []
        let chIDs = ids[device] ?? []
        for (i, v) in done.values.enumerated() {
            guard let v else { continue }
            if i < chIDs.count, let id = chIDs[i] { out.append(Sample(channel: id, ts: done.minute, value: v.value)) }
            if let id = minIDs[device]?[i] { out.append(Sample(channel: id, ts: done.minute, value: v.min)) }
            if let id = maxIDs[device]?[i] { out.append(Sample(channel: id, ts: done.minute, value: v.max)) }
        }
        return out
    }

    func flushAccumulators() async {
        var samples: [Sample] = pending
        for (d, var acc) in accumulators {
            if let done = acc.close() { samples += minuteSamples(d, done) }
            accumulators[d] = acc
        }
        if !samples.isEmpty { await commit(samples, []) }
    }

    func commit(_ samples: [Sample], _ statuses: [DeviceStatus]) async {
        do {
            try await store.write(samples, statuses: statuses)
            if !pending.isEmpty {
                logger.notice("store writable again; held readings written", metadata: ["samples": "\(pending.count)"])
            }
            pending = []
        } catch {
            // Keep the readings (up to a day of them) and try again with the next round.
            if pending.isEmpty {
                logger.error("cannot write to the store; holding readings in memory", metadata: ["error": "\(error)"])
            }
            pending = samples.count > 2_000_000 ? Array(samples.suffix(2_000_000)) : samples
        }
    }

    /// Current state per device, for logs and tests.
    public func healthOf(_ device: String) -> DeviceStatus? { health[device] }
}
