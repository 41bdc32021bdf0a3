import Foundation
import Synchronization

/// The one clock every service labels, schedules and sleeps by: the real one, `ScaledClock`
/// for `--time-scale` and the benches, `ManualClock` for tests that move time by hand. (NIO's
/// own timeouts stay on NIO's clock: they are about sockets, not the site's minutes.)
public protocol WallClock: Sendable {
    /// Seconds since 1970.
    func now() -> Double
    func sleep(until t: Double) async throws
    /// How late (in this clock's seconds) a wake-up may be and still sample its tick.
    var lateTolerance: Double { get }
}

extension WallClock {
    public var lateTolerance: Double { 5 }

    /// Whole seconds since 1970: what the store and the reports count in.
    public var seconds: Int64 { Int64(now()) }
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(until t: Double) async throws {
        let d = t - now()
        if d > 0 { try await Task.sleep(for: .seconds(d)) }
    }
}

/// A clock that runs `rate` times faster than real time from `start`: tests and benchmarks
/// see many minutes in a few seconds, with the same code path as a real run.
public struct ScaledClock: WallClock {
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

/// A clock that stands still until a test moves it: `advance(by:)` or `set(_:)`. A sleeper
/// wakes once the clock has reached its time (checked every millisecond of real time), and a
/// cancelled sleep throws as `Task.sleep` does.
public final class ManualClock: WallClock {
    private let current: Mutex<Double>

    public init(_ start: Double) { current = Mutex(start) }

    public func now() -> Double { current.withLock { $0 } }

    public func advance(by seconds: Double) { current.withLock { $0 += seconds } }

    public func set(_ t: Double) { current.withLock { $0 = t } }

    public func sleep(until t: Double) async throws {
        while now() < t { try await Task.sleep(for: .milliseconds(1)) }
    }
}
