import Foundation

/// Password checks are slow on purpose (scrypt): no more run at once than there are cores,
/// the rest wait their turn, so a login storm costs time, not memory.
actor CheckLimiter {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { free = permits }

    func acquire() async {
        if free > 0 {
            free -= 1
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
