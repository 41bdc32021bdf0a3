import StrataAlarms
import StrataConfig
import StrataCore
import StrataTestSupport
import Testing

/// `[[alarms]]`: the contract example loads as written; mistakes name file, line and key.
struct AlarmConfigTests {
    static let header =
        SiteTOML.header(timezone: "Europe/Berlin", store: "/tmp/s.sqlite")
        + SiteTOML.device("main", channels: [("energy", "kWh", "counter"), ("power", "W", "gauge")])
        + SiteTOML.device("water", channels: [("water", "m3", "counter")])

    static let contract = """

        [[alarms]]
        id = "main-offline"
        kind = "offline"                 # no reading for `for`
        device = "main"
        for = "10 min"
        notify = ["fm@example.org"]

        [[alarms]]
        id = "peak"
        kind = "threshold"               # a gauge above/below a limit for at least `for`
        device = "main"
        channel = "power"
        above = 80000                    # or below = …
        clear = 75000                    # hysteresis: clears only past this value
        for = "5 min"
        notify = ["fm@example.org"]

        [[alarms]]
        id = "night-water"
        kind = "consumption"             # a counter's consumption over a window
        device = "water"
        channel = "water"
        window = "00:00-05:00"           # site local time, every day (a leak: water runs all night)
        above = 5                        # in the channel's unit, over the window (or per `per = "1 h"`)
        notify = ["fm@example.org"]

        [[alarms]]
        id = "resets"
        kind = "counter-event"
        events = ["reset", "rollover"]
        severity = "info"
        repeat = "1 day"
        quiet = "22:00-07:00"

        [[alarms]]
        id = "box"
        kind = "system"
        check = ["storage", "outbox"]
        above = 85
        for = "15 min"
        severity = "critical"

        [[alarms]]
        id = "anything"
        kind = "system"
        """

    @Test func theContractExampleLoads() throws {
        let c = try StrataConfig.parse(Self.header + Self.contract, file: "/etc/strata.toml")
        #expect(c.alarms.map(\.id) == ["main-offline", "peak", "night-water", "resets", "box", "anything"])
        #expect(c.alarms[0].kind == .offline(seconds: 600))
        #expect(c.alarms[1].kind == .threshold(channel: "power", limit: .above(80_000), clear: 75_000, seconds: 300))
        #expect(c.alarms[2].kind == .consumption(channel: "water", window: .init(from: 0, to: 300), above: 5, per: nil))
        #expect(c.alarms[3].kind == .counterEvent(channel: nil, actions: [.reset, .rollover]))
        #expect(c.alarms[3].device == nil && c.alarms[3].severity == .info && c.alarms[3].repeatEvery == 86_400)
        #expect(c.alarms[3].quiet == .init(from: 22 * 60, to: 7 * 60))
        #expect(c.alarms[0].notify == ["fm@example.org"] && c.alarms[0].severity == .warning)
        #expect(c.alarms[4].kind == .system(checks: [.storage, .outbox], above: 85, clear: 80, seconds: 900))
        #expect(c.alarms[4].device == nil && c.alarms[4].severity == .critical)
        // Without `check` a system rule watches everything, storage at the budget's 90 %.
        #expect(c.alarms[5].kind == .system(checks: Set(SystemCheck.allCases), above: 90, clear: 85, seconds: 0))
    }

    @Test(arguments: [
        (
            "device = \"main\"\nfor = \"10 min\"", "device = \"mian\"\nfor = \"10 min\"", "alarms[0].device",
            "no device \"mian\""
        ),
        ("for = \"10 min\"", "for = \"ten minutes\"", "alarms[0].for", "duration"),
        ("channel = \"power\"", "channel = \"energy\"", "alarms[1].channel", "needs a gauge"),
        ("channel = \"power\"", "channel = \"pwr\"", "alarms[1].channel", "has no channel"),
        ("clear = 75000", "clear = 85000", "alarms[1].clear", "at or below"),
        ("above = 80000 ", "below = 80000 ", "alarms[1].clear", "at or above"),
        ("window = \"00:00-05:00\"", "window = \"midnight to five\"", "alarms[2].window", "00:00-05:00"),
        ("kind = \"offline\"", "kind = \"ofline\"", "alarms[0].kind", "expected offline, threshold"),
        ("kind = \"offline\"", "kind = \"system\"", "alarms[0].device", "watches Strata itself"),
        ("check = [\"storage\", \"outbox\"]", "check = \"disk\"", "alarms[4].check", "expected storage, archive"),
        ("check = [\"storage\", \"outbox\"]", "check = []", "alarms[4].check", "watches nothing"),
        ("above = 85", "above = 850", "alarms[4].above", "at most 100"),
        ("above = 85", "above = 85\nclear = 95", "alarms[4].clear", "at or below"),
        ("id = \"peak\"", "id = \"main-offline\"", "alarms[1].id", "defined twice"),
        ("events = [\"reset\", \"rollover\"]", "events = [\"reboot\"]", "alarms[3].events", "expected reset"),
        ("severity = \"info\"", "severity = \"urgent\"", "alarms[3].severity", "expected info"),
        ("id = \"peak\"", "id = \"peak\"\nthreshhold = 1", "alarms[1].threshhold", "unknown key"),
    ])
    func mistakesNameFileLineAndKey(old: String, new: String, key: String, message: String) {
        let text = (Self.header + Self.contract).replacingOccurrences(of: old, with: new)
        #expect(text != Self.header + Self.contract)
        ConfigMistake.expect(text, file: "/etc/strata.toml", key: key, message: message)
    }
}
