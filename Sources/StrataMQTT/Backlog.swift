/// Minutes waiting for the broker: bounded, the newest kept (a broker down for a day must not
/// grow memory without end, and the latest values matter most), published oldest first.
public struct Backlog: Sendable {
    public let capacity: Int
    private var minutes: [(minute: Int64, messages: [MQTTMessage])] = []
    private var head = 0
    /// Messages dropped because the backlog was full, in all.
    public private(set) var dropped = 0

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { minutes.count - head }
    public var isEmpty: Bool { count == 0 }

    /// Adds a minute's messages; over capacity the oldest minute goes.
    public mutating func append(minute: Int64, _ messages: [MQTTMessage]) {
        minutes.append((minute, messages))
        while count > capacity {
            dropped += minutes[head].messages.count
            head += 1
        }
        compact()
    }

    /// The oldest minute waiting, without taking it.
    public var first: (minute: Int64, messages: [MQTTMessage])? { isEmpty ? nil : minutes[head] }

    /// Takes the oldest minute (once its messages are handed to the broker).
    public mutating func removeFirst() {
        guard !isEmpty else { return }
        head += 1
        compact()
    }

    private mutating func compact() {
        if head > 64 && head * 2 > minutes.count {
            minutes.removeFirst(head)
            head = 0
        }
    }
}
