/// Readings that meters push (MQTT devices) between the sampler's rounds; each round takes what
/// arrived for its due devices. The sampler knows no broker: the runtime hands it an inbox.
public protocol MessageInbox: Sendable {
    /// Starts receiving; `now` stamps messages without a time of their own, `onChange` hears
    /// every change of the connection (the sampler logs only changes of state).
    func start(now: @escaping @Sendable () -> Double, onChange: @escaping @Sendable (InboxLink) -> Void) throws
    func stop()
    /// What arrived for a device since the last call.
    func take(_ device: String) -> InboxTaken
}

/// The state of an inbox's connection to where the messages come from.
public enum InboxLink: Sendable, Equatable {
    case connected
    case refused(reason: String)
    case lost(reason: String)

    /// The kind of state, without its reason: what "changed" means for logging.
    public var state: String {
        switch self {
        case .connected: "connected"
        case .refused: "refused"
        case .lost: "lost"
        }
    }
}

/// A device's messages since the last round: readings, and what could not be used.
public struct InboxTaken: Sendable {
    public var readings: [(ts: Int64, values: [Double?])] = []
    public var malformed = 0
    public var dropped = 0
    public var lastFailure: String?

    public init() {}
}
