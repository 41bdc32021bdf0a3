import Foundation
import StrataCore
import StrataTestSupport

@testable import StrataStore

/// Every stored aggregate of every tier, for comparing two stores.
func dump(_ s: Store) throws -> [String] {
    var out: [String] = []
    for t in Tier.aggregated {
        for (start, ch, g) in try s.storedAggregates(t, from: Int64.min, to: Int64.max, channel: nil) {
            let name = s.byID[ch].map { "\($0.spec.device).\($0.spec.id)" } ?? "?"
            out.append(
                "\(t) \(start) \(name) n=\(g.count) c=\(g.consumption) min=\(g.min ?? .nan) max=\(g.max ?? .nan) sum=\(g.sum) first=\(g.first ?? .nan) last=\(g.last ?? .nan) p=\(g.provisional) i=\(g.interpolated)"
            )
        }
    }
    return out
}
