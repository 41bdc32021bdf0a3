import Foundation

/// A chart drawn on the server as SVG, so it shows without JavaScript: bars for consumption,
/// a line with a min/max band for gauges. A bucket without data is drawn as nothing (a gap),
/// never as zero. Pure: points in, markup out.
package struct SVGChart: Sendable {
    package enum Style: Sendable { case bars, line }

    package struct Point: Sendable, Equatable {
        package var start: Int64
        package var end: Int64
        package var value: Double?
        package var low: Double?
        package var high: Double?

        package init(start: Int64, end: Int64, value: Double?, low: Double? = nil, high: Double? = nil) {
            self.start = start
            self.end = end
            self.value = value
            self.low = low
            self.high = high
        }
    }

    package var id: String
    package var title: String
    package var unit: String
    package var style: Style
    package var from: Int64
    package var to: Int64
    package var points: [Point]
    /// Labels under the x axis: instants and their text.
    package var xTicks: [(Int64, String)] = []

    package static let width = 720.0
    package static let height = 240.0
    static let left = 64.0, right = 12.0, top = 12.0, bottom = 28.0

    package init(id: String, title: String, unit: String, style: Style, from: Int64, to: Int64, points: [Point]) {
        self.id = id
        self.title = title
        self.unit = unit
        self.style = style
        self.from = from
        self.to = max(to, from + 1)
        self.points = points
    }

    /// Round axis bounds and a step (1, 2 or 5 × 10^n) giving about four lines.
    static func axis(_ lo: Double, _ hi: Double) -> (lo: Double, hi: Double, step: Double) {
        var a = lo
        var b = hi
        if a == b {
            a -= a == 0 ? 1 : abs(a) * 0.1
            b += b == 0 ? 1 : abs(b) * 0.1
        }
        let raw = (b - a) / 4
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        return (floor(a / step) * step, ceil(b / step) * step, step)
    }

    package func render() -> String {
        let w = Self.width
        let h = Self.height
        let plotW = w - Self.left - Self.right
        let plotH = h - Self.top - Self.bottom
        let values = points.flatMap { [$0.value, $0.low, $0.high].compactMap { $0 }.filter(\.isFinite) }
        let dataLo = values.min() ?? 0
        let dataHi = values.max() ?? 1
        // Bars grow from zero; a line (voltage at 230 V) is scaled to its data.
        let (lo, hi, step) = Self.axis(
            style == .bars ? min(0, dataLo) : dataLo, style == .bars ? max(0, dataHi) : dataHi)
        let span = Double(to - from)
        func x(_ t: Int64) -> Double { Self.left + Double(t - from) / span * plotW }
        func y(_ v: Double) -> Double { Self.top + (hi - v) / (hi - lo) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        let titleID = "\(id)-title"
        let descID = "\(id)-desc"
        let shown = points.filter { $0.value != nil }.count
        var s = "<svg class=\"chart\" id=\"\(HTML.escape(id))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" "
        s += "aria-labelledby=\"\(titleID) \(descID)\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title id=\"\(titleID)\">\(HTML.escape(title))</title>"
        s += "<desc id=\"\(descID)\">\(shown) of \(points.count) periods with data, in \(HTML.escape(unit))</desc>"
        // Grid and y labels.
        var v = lo
        while v <= hi + step / 2 {
            let yy = y(v)
            s +=
                "<line x1=\"\(f(Self.left))\" x2=\"\(f(w - Self.right))\" y1=\"\(f(yy))\" y2=\"\(f(yy))\" stroke=\"#d0d0d0\" stroke-width=\"1\"/>"
            s +=
                "<text x=\"\(f(Self.left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#4a4a4a\">\(HTML.escape(Self.label(v, step)))</text>"
            v += step
        }
        s += "<text x=\"4\" y=\"\(f(Self.top + 10))\" font-size=\"11\" fill=\"#4a4a4a\">\(HTML.escape(unit))</text>"
        for (t, label) in xTicks where t >= from && t <= to {
            s +=
                "<text x=\"\(f(x(t)))\" y=\"\(f(h - 8))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#4a4a4a\">\(HTML.escape(label))</text>"
        }
        switch style {
        case .bars:
            s += "<g class=\"bars\" fill=\"#0b5cad\">"
            for p in points {
                guard let val = p.value, val.isFinite else { continue }
                let x0 = x(p.start)
                let x1 = x(p.end)
                let bw = max(0.5, (x1 - x0) * 0.8)
                let y0 = y(max(0, val))
                let y1 = y(min(0, val))
                s +=
                    "<rect x=\"\(f(x0 + (x1 - x0 - bw) / 2))\" y=\"\(f(y0))\" width=\"\(f(bw))\" height=\"\(f(max(0.5, y1 - y0)))\"/>"
            }
            s += "</g>"
        case .line:
            // Runs of consecutive points with data: a gap ends a run, so it is drawn as a gap.
            var runs: [[Point]] = []
            var current: [Point] = []
            for p in points {
                if p.value == nil || (current.last.map { $0.end < p.start } ?? false) {
                    if !current.isEmpty { runs.append(current) }
                    current = []
                }
                if p.value != nil { current.append(p) }
            }
            if !current.isEmpty { runs.append(current) }
            for run in runs {
                let mid = run.map { (x(($0.start + $0.end) / 2), $0) }
                if run.contains(where: { $0.low != nil && $0.high != nil && $0.low != $0.high }) {
                    var band = "M"
                    for (px, p) in mid { band += "\(f(px)),\(f(y(p.high ?? p.value ?? 0))) L" }
                    for (px, p) in mid.reversed() { band += "\(f(px)),\(f(y(p.low ?? p.value ?? 0))) L" }
                    s +=
                        "<path class=\"band\" d=\"\(band.dropLast(2))Z\" fill=\"#0b5cad\" fill-opacity=\"0.18\" stroke=\"none\"/>"
                }
                if run.count == 1, let (px, p) = mid.first {
                    s += "<circle cx=\"\(f(px))\" cy=\"\(f(y(p.value ?? 0)))\" r=\"2\" fill=\"#0b5cad\"/>"
                } else {
                    let pts = mid.map { "\(f($0.0)),\(f(y($0.1.value ?? 0)))" }.joined(separator: " ")
                    s +=
                        "<polyline class=\"line\" points=\"\(pts)\" fill=\"none\" stroke=\"#0b5cad\" stroke-width=\"1.5\"/>"
                }
            }
        }
        s +=
            "<rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#767676\"/>"
        if shown == 0 {
            s +=
                "<text x=\"\(f(w / 2))\" y=\"\(f(h / 2))\" text-anchor=\"middle\" font-size=\"14\" fill=\"#4a4a4a\">no data in this range</text>"
        }
        return s + "</svg>"
    }

    static func label(_ v: Double, _ step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int(ceil(-log10(step)))
        return String(format: "%.\(decimals)f", v)
    }
}
