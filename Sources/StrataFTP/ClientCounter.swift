import Foundation

/// Connected clients, in all and per address, so one host cannot take every slot.
final class ClientCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var byIP: [String: Int] = [:]

    /// nil when admitted; otherwise why not.
    func admit(_ ip: String, max: Int, perIP: Int) -> String? {
        lock.withLock {
            if total >= max { return "Too many clients" }
            if byIP[ip, default: 0] >= perIP { return "Too many connections from your address" }
            total += 1
            byIP[ip, default: 0] += 1
            return nil
        }
    }

    func leave(_ ip: String) {
        lock.withLock {
            total -= 1
            byIP[ip, default: 1] -= 1
            if byIP[ip] == 0 { byIP[ip] = nil }
        }
    }
}
