import Foundation
import StrataCore
import StrataStore

/// `strata-bench calculated`: what calculated channels cost the write path. The same minutes
/// of 5,000 channels are written minute by minute to two stores, one of them with calculated
/// channels (one counter "c1 − c3 − c5" and one gauge "c2 − c4" per device of 20 channels);
/// the difference is the derivation in the write's transaction. Then the backfill: the same
/// calculated channels added to the store without them, computed from its stored minutes.
enum CalculatedBench {
    static func specs(channels: Int, calculated: Bool) -> [ChannelSpec] {
        var s = Bench.specs(channels)
        guard calculated else { return s }
        for d in 0..<max(1, channels / 20) {
            var c = ChannelSpec(device: "calc", id: "rest\(d)", unit: "kWh", kind: .counter)
            c.formula = [
                FormulaTerm(negative: false, device: "d\(d)", channel: "c\(d * 20 + 1)"),
                FormulaTerm(negative: true, device: "d\(d)", channel: "c\(d * 20 + 3)"),
                FormulaTerm(negative: true, device: "d\(d)", channel: "c\(d * 20 + 5)"),
            ]
            var g = ChannelSpec(device: "calc", id: "power\(d)", unit: "W", kind: .gauge)
            g.formula = [
                FormulaTerm(negative: false, device: "d\(d)", channel: "c\(d * 20 + 2)"),
                FormulaTerm(negative: true, device: "d\(d)", channel: "c\(d * 20 + 4)"),
            ]
            s += [c, g]
        }
        return s
    }

    static func run(dir: String, channels: Int, minutes: Int) throws {
        print(
            "# calculated: \(channels) channels, \(channels / 10) calculated, \(minutes) minutes written one at a time")
        var perMinute: [Double] = []
        for calculated in [false, true] {
            let path = dir + "/calc-\(calculated).sqlite"
            let store = try Store(
                path: path, channels: specs(channels: channels, calculated: calculated), calendar: Bench.paris)
            let ids = store.channels.filter { $0.spec.formula == nil }.map(\.id)
            let t0 = Bench.clock()
            for m in 0..<minutes {
                let ts = Bench.start + Int64(m) * 60
                try store.write(
                    ids.enumerated().map { k, id in Sample(channel: id, ts: ts, value: Bench.value(m, k + 1)) })
            }
            let ms = (Bench.clock() - t0) * 1000 / Double(minutes)
            perMinute.append(ms)
            print(
                String(format: "%@: %.2f ms a written minute", calculated ? "with calculated channels" : "without", ms))
        }
        print(
            String(
                format: "calculated channels add %.2f ms a minute (%.2f× the write alone)", perMinute[1] - perMinute[0],
                perMinute[1] / perMinute[0]))
        // Backfill: the store written without them opened with them.
        let store = try Store(
            path: dir + "/calc-false.sqlite", channels: specs(channels: channels, calculated: true),
            calendar: Bench.paris)
        let t0 = Bench.clock()
        let n = try store.backfillCalculated()
        let s = Bench.clock() - t0
        print(
            String(
                format:
                    "backfill: %d minutes of %d calculated channels in %.2f s (%.2f× the time the inputs took to write)",
                n, channels / 10, s,
                s / (perMinute[0] * Double(minutes) / 1000)))
    }
}
