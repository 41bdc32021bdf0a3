import Synchronization

/// Connected clients, in all and per address, so that one host cannot take every slot: the FTP
/// server's and the web server's limits alike.
public final class ConnectionSlots: Sendable {
    public enum Refusal: Sendable, Equatable, CustomStringConvertible {
        case full
        case address

        public var description: String {
            switch self {
            case .full: "Too many clients"
            case .address: "Too many connections from your address"
            }
        }
    }

    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }

    public let max: Int
    public let perAddress: Int
    private let counts = Mutex(Counts())

    public init(max: Int, perAddress: Int) {
        self.max = max
        self.perAddress = perAddress
    }

    /// Takes a slot for `address`; nil when admitted, otherwise why not.
    public func admit(_ address: String) -> Refusal? {
        counts.withLock { c in
            if c.total >= max { return .full }
            if c.byAddress[address, default: 0] >= perAddress { return .address }
            c.total += 1
            c.byAddress[address, default: 0] += 1
            return nil
        }
    }

    /// Gives back a slot `admit` took.
    public func leave(_ address: String) {
        counts.withLock { c in
            c.total -= 1
            c.byAddress[address, default: 1] -= 1
            if c.byAddress[address] == 0 { c.byAddress[address] = nil }
        }
    }

    public var open: Int { counts.withLock { $0.total } }
}
