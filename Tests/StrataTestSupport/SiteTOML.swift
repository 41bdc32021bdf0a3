import Foundation

/// The sections every test config starts with, so a test states only what it is about.
public enum SiteTOML {
    /// `[site]`, `[storage]` and (given a path) `[archive]`.
    public static func header(
        name: String = "Test site", timezone: String, store: String, archive: String? = nil,
        dialects: [String]? = nil
    ) -> String {
        var t = """
            [site]
            name = "\(name)"
            timezone = "\(timezone)"

            [storage]
            path = "\(store)"

            """
        if let archive {
            t += """
                [archive]
                path = "\(archive)"

                """
            if let dialects { t += "dialects = [\(dialects.map { "\"\($0)\"" }.joined(separator: ", "))]\n" }
        }
        return t
    }

    /// A `[[devices]]` entry with its channels, given as (id, unit, kind).
    public static func device(
        _ id: String, name: String? = nil, driver: String = "none", extra: String = "",
        channels: [(id: String, unit: String, kind: String)]
    ) -> String {
        var t = """

            [[devices]]
            id = "\(id)"
            name = "\(name ?? id)"
            driver = "\(driver)"
            \(extra)

            """
        for c in channels {
            t += """
                [[devices.channels]]
                id = "\(c.id)"
                unit = "\(c.unit)"
                kind = "\(c.kind)"

                """
        }
        return t
    }
}

/// The AMPds2 house as a config: water and gas counters, the bedroom sub-meter.
public func houseConfig(retentionForever: Bool = true) -> String {
    SiteTOML.header(name: "AMPds2 house", timezone: "America/Vancouver", store: "data/strata.sqlite")
        + """
        budget = "2 GB"

        [retention]
        minute = "\(retentionForever ? "forever" : "400 days")"
        quarter = "forever"
        hour = "forever"

        """
        + SiteTOML.device("water", name: "Whole-house water", channels: [("volume", "L", "counter")])
        + SiteTOML.device("gas", name: "Furnace gas", channels: [("volume", "L", "counter")])
        + SiteTOML.device(
            "bedroom", name: "Bedroom sub-meter", channels: [("energy", "Wh", "counter"), ("power", "W", "gauge")])
}
