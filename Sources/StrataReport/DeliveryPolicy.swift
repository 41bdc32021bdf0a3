import StrataMail

/// What the outbox does with one message after a delivery attempt. Pure: the dispatcher
/// performs the action, tests assert it.
///
/// RFC 5321 4.2.1 and 4.5.4.1: a 5xx is final at once; a 4xx (or a lost session) is retried
/// with a doubling pause, capped at an hour, until `retryFor` has passed since the report
/// was queued.
public struct DeliveryPolicy: Sendable, Equatable {
    /// The first pause after a temporary failure (`smtp.retry_interval`), in seconds.
    public var retryInterval: Int64
    /// How long after queueing a message is still retried (`smtp.retry_for`), in seconds.
    public var retryFor: Int64
    /// The longest pause between two attempts.
    public static let maxPause: Int64 = 3600

    public init(retryInterval: Int64, retryFor: Int64) {
        self.retryInterval = retryInterval
        self.retryFor = retryFor
    }

    public enum Action: Sendable, Equatable {
        /// The server took it: record it as sent (the one window for a duplicate is before that record).
        case sent(reply: String)
        /// Refused for good by the server: recorded as failed, never retried.
        case refused(reason: String)
        /// Temporary failures for longer than `retryFor`: recorded as failed.
        case givenUp(reason: String)
        /// Try again at `at`, after the `failures`-th temporary failure in a row.
        case retry(at: Int64, pause: Int64, failures: Int, reason: String)
    }

    /// The action for `outcome` of a message queued at `created`, which had `failures`
    /// temporary failures in a row before this attempt.
    public func action(for outcome: SMTPOutcome, created: Int64, failures: Int, now: Int64) -> Action {
        switch outcome {
        case .accepted(let reply): return .sent(reply: reply)
        case .permanent(let why): return .refused(reason: why)
        case .temporary(let why):
            if now - created >= retryFor { return .givenUp(reason: why) }
            let n = failures + 1
            let pause = min(retryInterval << Int64(min(n - 1, 20)), Self.maxPause)
            return .retry(at: now + pause, pause: pause, failures: n, reason: why)
        }
    }
}

/// When `strata report --send` tries a temporary refusal again: after 1, 2, 4, 8 … s (at most
/// a minute), while the next attempt still starts inside the window. A person waits at the
/// terminal, so the pauses are short and the window is theirs (`--retry-for`).
public struct SendRetry: Sendable {
    public let window: Double
    public private(set) var attempts = 1
    private var pause = 1.0

    public init(window: Double) { self.window = window }

    /// The pause before the next attempt, or nil when the window is used up.
    public mutating func next(elapsed: Double) -> Double? {
        guard elapsed + pause <= window else { return nil }
        defer {
            attempts += 1
            pause = min(pause * 2, 60)
        }
        return pause
    }
}
