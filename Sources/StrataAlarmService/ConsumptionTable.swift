import Foundation
import Logging
import StrataAlarms
import StrataConfig
import StrataCore
import StrataStore

/// The minute consumption of the counters of several consumption rules over one span, read
/// from the store in one pass.
struct ConsumptionTable {
    private var channel: [String: StoredChannel] = [:]
    private var steps: [Int64: [Int64?]] = [:]
    private let start: Int64

    init(rules: [AlarmRule], from: Int64, to: Int64, store: Store) {
        start = from
        var chans: [StoredChannel] = []
        for r in rules {
            guard case .consumption(let ch, _, _, _) = r.kind, let d = r.device,
                let c = try? store.channel(device: d, channel: ch)
            else { continue }
            channel[r.id] = c
            if !chans.contains(where: { $0.id == c.id }) { chans.append(c) }
        }
        guard !chans.isEmpty, to > from else { return }
        let n = Int((to - from) / 60)
        for c in chans { steps[c.id] = Array(repeating: nil, count: n) }
        try? store.minutes(channels: chans, from: from, to: to) { block in
            for c in chans {
                guard let col = block.columnIndex(c.id) else { continue }
                for i in 0..<block.count {
                    let k = Int((block.ts(i) - from) / 60)
                    if k >= 0 && k < n, let v = block.consumption(column: col, i) { steps[c.id]?[k] = v }
                }
            }
        }
    }

    /// A rule's counter's consumption over `[from, to)` (nil: no data at all).
    func consumed(_ rule: AlarmRule, from: Int64, to: Int64) -> Double? {
        guard let c = channel[rule.id], let all = steps[c.id] else { return nil }
        let lo = max(0, Int((from - start) / 60))
        let hi = min(all.count, Int((to - start) / 60))
        guard lo < hi else { return nil }
        var sum: Int64 = 0
        var any = false
        for i in lo..<hi {
            if let v = all[i] {
                sum += v
                any = true
            }
        }
        return any ? c.spec.resolution.value(ofSteps: sum) : nil
    }
}
