import StrataAlarms
import StrataCore
import Testing

/// Late data: a consumption rule judges again exactly the windows the data touches.
struct LateDataTests {
    static let zone = ZoneRules(identifier: "Europe/Berlin")!
    static let rule = AlarmRule(
        id: "night-water", kind: .consumption(channel: "water", window: .init(from: 0, to: 300), above: 5, per: nil),
        device: "water", notify: [])
    /// 2026-12-02 00:00 Berlin.
    static let midnight: Int64 = 1_796_166_000

    @Test func spansOverlappingARangeAreTheWindowsItTouches() {
        let w = ConsumptionWindow(window: .init(from: 0, to: 300), zone: Self.zone)
        // 03:00 on the 2nd to 02:00 on the 4th: the windows of the 2nd, 3rd and 4th.
        let s = w.spans(overlapping: Self.midnight + 3 * 3600, Self.midnight + 2 * 86_400 + 2 * 3600)
        #expect(s.map(\.start) == [Self.midnight, Self.midnight + 86_400, Self.midnight + 2 * 86_400])
        #expect(s.allSatisfy { $0.end - $0.start == 5 * 3600 })
        // A range between two windows touches none.
        #expect(w.spans(overlapping: Self.midnight + 6 * 3600, Self.midnight + 20 * 3600).isEmpty)
    }

    @Test func aRevisitStartsFromThePriorPhaseAndStopsAtTheNewestClosedWindow() {
        let book = AlarmBook(rules: [Self.rule], phases: [:], zone: Self.zone)
        // Three nights: 7, 2 and 9 m³; the third window is not closed yet.
        let litres: [Int64: Double] = [Self.midnight: 7, Self.midnight + 86_400: 2, Self.midnight + 2 * 86_400: 9]
        let closedBy = Self.midnight + 86_400 + 5 * 3600
        let r = book.revisit(
            Self.rule, from: Self.midnight, to: Self.midnight + 3 * 86_400, closedBy: closedBy, prior: .inactive
        ) { _, a, _ in litres[a] }
        #expect(
            r.notices == [
                .raised(rule: "night-water", at: Self.midnight + 5 * 3600, value: 7),
                .cleared(rule: "night-water", at: closedBy, value: 2, raisedAt: Self.midnight + 5 * 3600),
            ])
        #expect(r.lastEnd == closedBy && r.phase == .inactive)
        #expect(book.nextWindowEnd(after: closedBy, rule: Self.rule) == closedBy + 86_400)
        // Active before: the first night over the limit is a repeat, not a new raise.
        let active = book.revisit(
            Self.rule, from: Self.midnight, to: Self.midnight + 3600, closedBy: closedBy,
            prior: .active(since: Self.midnight - 86_400, notified: Self.midnight - 86_400)
        ) { _, a, _ in litres[a] }
        #expect(active.notices == [.repeated(rule: "night-water", at: Self.midnight + 5 * 3600, value: 7)])
    }
}
