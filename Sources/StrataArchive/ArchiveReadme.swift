import StrataCore

/// The `README.txt` at the archive's root: the layout, the columns and the time conventions
/// in plain words, for whoever opens the share first.
enum ArchiveReadme {
    static func text(site: String, dialects: [CSVDialect], calendar: SiteCalendar) -> String {
        let lines = """
            Strata archive of \(site)
            =============================

            Meter data as CSV files, kept up to date by Strata. Read-only: copy files before
            editing them.

            Folders
            -------
            \(dialects.map { "  \($0.rawValue)/  \(describe($0))" }.joined(separator: "\n"))

            Inside each: one folder per meter (device), and _site/ with every meter side by side.
              <meter>/minute/YYYY/MM/YYYY-MM-DD.csv   one file per day, a row per minute
              <meter>/quarter/YYYY/YYYY-MM.csv        one file per month, a row per 15 minutes
              <meter>/hour/YYYY/YYYY-MM.csv           one file per month, a row per hour
              <meter>/day/YYYY.csv                    one file per year, a row per day
              <meter>/month/YYYY.csv                  one file per year, a row per month
              <meter>/year.csv                        a row per year
            current.csv in a folder is the file of the period in progress (today, this month,
            this year). SHA256SUMS lists the checksums of the finished files in its folder
            (check with: sha256sum -c SHA256SUMS).
            outbox/status.csv (where e-mail reports are configured) lists every report e-mail:
            when it was made, to whom, and whether it was sent.

            Times
            -----
            Site time zone: \(calendar.zone.identifier). "start" is the local time at which a row's
            period BEGINS: the hour row "2026-11-21 13:00:00" covers 13:00 to 14:00. "utc_offset"
            tells summer from winter time: on the night clocks go back, the hour 01:00 appears
            twice, once per offset. A day has 23, 24 or 25 hours ("hours" column).

            Columns
            -------
            For energy, water and gas counters: "<meter> consumption [unit]" in the period, and
            "<meter> reading [unit]", the meter's last reading in it. For other values (power,
            voltage, temperature): "avg", "min" and "max". "coverage [%]" is the share of
            expected readings present: below 100 there were gaps. Consumption across a gap is
            shared out by time between the readings on either side.
            Numbers are printed at each meter's resolution, so the hours of a day add up to the
            day exactly. An empty cell means no data, never zero.

            Files only ever hold finished periods: the file of the period in progress grows by
            whole lines; a finished file changes only if late data arrives (then it is replaced
            in one step, and its checksum updated).

            """
        return lines.replacingCRLF
    }

    static func describe(_ d: CSVDialect) -> String {
        switch d {
        case .excelEU: "Excel, European settings: ';' between fields, decimal comma"
        case .excelUS: "Excel, US/UK settings: ',' between fields, decimal point"
        case .iso: "for scripts: RFC 4180 CSV, decimal point, extra start_utc column"
        }
    }
}

extension String {
    /// Windows Notepad wants CRLF.
    var replacingCRLF: String {
        var out = ""
        for c in self {
            if c == "\n" { out += "\r\n" } else { out.append(c) }
        }
        return out
    }
}
