/// What a `kind = "system"` rule watches: Strata itself rather than a meter.
public enum SystemCheck: String, Sendable, CaseIterable, Comparable {
    /// The store over a share of `storage.budget` (90 % unless the rule says otherwise).
    case storage
    /// Writing the CSV archive fails (a full or read-only disk, permissions).
    case archive
    /// Messages in the outbox whose last delivery attempt failed (the mail server refuses or
    /// cannot be reached).
    case outbox
    /// The system clock is before Strata existed (no RTC, no NTP yet) or behind the newest
    /// stored minute (it stepped back): the sampler waits instead of sampling.
    case clock

    public static func < (a: SystemCheck, b: SystemCheck) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// The system checks as last reported by the parts that know them. nil: not reported since
/// the start, which neither raises nor clears (after a restart an active alarm waits for the
/// part to report again rather than clearing and raising once more).
public struct SystemHealth: Sendable, Equatable {
    /// The store's used bytes as a share of its budget (1.0 = full); nil: unknown.
    public var storageUse: Double?
    /// Whether there is no budget at all: the storage check then never fails.
    public var storageUnbounded = false
    public var archiveFailing: Bool?
    /// Outbox messages whose last attempt failed.
    public var outboxFailing: Int?
    public var clockImplausible: Bool?

    public init() {}

    /// Whether a check is known, and if so its trouble: `raise` past the rule's limit, `hold`
    /// past its clear value (hysteresis for storage; the same for the others).
    func state(_ c: SystemCheck, above: Double, clear: Double) -> (raise: Bool, hold: Bool)? {
        switch c {
        case .storage:
            if storageUnbounded { return (false, false) }
            guard let u = storageUse else { return nil }
            return (u * 100 > above, u * 100 >= clear)
        case .archive: return archiveFailing.map { ($0, $0) }
        case .outbox: return outboxFailing.map { ($0 > 0, $0 > 0) }
        case .clock: return clockImplausible.map { ($0, $0) }
        }
    }

    /// The value a notice names: storage in percent, the outbox in messages.
    func value(_ c: SystemCheck) -> Double? {
        switch c {
        case .storage: storageUse.map { ($0 * 1000).rounded() / 10 }
        case .outbox: outboxFailing.map(Double.init)
        case .archive, .clock: nil
        }
    }

    /// The checks of `checks` failing now, in a stable order.
    public func failing(_ checks: Set<SystemCheck>, above: Double, clear: Double) -> [SystemCheck] {
        checks.sorted().filter { state($0, above: above, clear: clear)?.raise == true }
    }
}
