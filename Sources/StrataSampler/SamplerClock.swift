import Foundation

/// The wall clock the sampler labels readings with and sleeps against.
public protocol SamplerClock: Sendable {
    /// Seconds since 1970.
    func now() -> Double
    func sleep(until t: Double) async throws
    /// How late (in this clock's seconds) a wake-up may be and still sample its tick.
    var lateTolerance: Double { get }
}

extension SamplerClock {
    public var lateTolerance: Double { 5 }
}

public struct SystemClock: SamplerClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(until t: Double) async throws {
        let d = t - now()
        if d > 0 { try await Task.sleep(for: .seconds(d)) }
    }
}

/// A clock that runs `rate` times faster than real time from `start`: tests and benchmarks
/// see many minutes in a few seconds, with the same code path as a real run.
public struct ScaledClock: SamplerClock {
    public let rate: Double
    let realStart: Double
    let start: Double

    public init(rate: Double, start: Double? = nil) {
        self.rate = rate
        realStart = Date().timeIntervalSince1970
        self.start = start ?? realStart
    }

    public func now() -> Double { start + (Date().timeIntervalSince1970 - realStart) * rate }

    /// A scheduling delay is real time: the same 5 s of slack, scaled (within a minute's half).
    public var lateTolerance: Double { min(5 * rate, 25) }

    public func sleep(until t: Double) async throws {
        let d = (t - now()) / rate
        if d > 0 { try await Task.sleep(for: .seconds(d)) }
    }
}
