import StrataConfig
import StrataSampler
import Testing

/// Devices on one RS485 bus are polled one after another: a round where each times out on
/// every attempt must still fit the poll interval.
struct BusBudgetTests {
    func devices(count: Int, timeout: String, retries: Int, poll: String = "1 min") throws -> [StrataConfig.Device] {
        var text = """
            [site]
            name = "S"
            timezone = "Europe/Zurich"
            [storage]
            path = "/tmp/x.sqlite"

            """
        for i in 0..<count {
            text += """
                [[devices]]
                id = "m\(i)"
                driver = "modbus-rtu"
                serial = "/dev/ttyUSB0"
                baud = 9600
                unit_id = \(i + 1)
                profile = "eastron-sdm630"
                timeout = "\(timeout)"
                retries = \(retries)
                poll = "\(poll)"

                """
        }
        return try StrataConfig.parse(text, file: "/tmp/x.toml").devices
    }

    @Test(
        arguments: [
            (4, "1 s", 2, false), // 4 × 1 s × 3 = 12 s of a minute
            (10, "2 s", 2, true), // 60 s: more than 80 % of the minute
            (16, "1 s", 2, false), // 48 s: exactly 80 %
            (17, "1 s", 2, true),
        ] as [(Int, String, Int, Bool)])
    func aBusWarnsWhenItsWorstRoundPassesFourFifthsOfThePoll(count: Int, timeout: String, retries: Int, warns: Bool)
        throws
    {
        let w = BusBudget.warnings(try devices(count: count, timeout: timeout, retries: retries))
        #expect(w.isEmpty == !warns, "\(w)")
        if warns { #expect(w.first?.contains("bus ") == true && w.first?.contains("\(count) devices") == true) }
    }
}
