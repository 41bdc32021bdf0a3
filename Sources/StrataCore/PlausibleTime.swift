/// The span of instants Strata stores: 1970-01-01 to 2199-12-31 UTC.
///
/// Times outside it (a unix time of 1e300, one near Int64.max, a year 9999 typo) are bad
/// input, refused where they enter; inside it every calendar computation stays far from
/// overflow.
public enum PlausibleTime {
    public static let earliest: Int64 = 0
    /// 2200-01-01T00:00:00Z.
    public static let latest: Int64 = 7_258_118_400

    public static func contains(_ ts: Int64) -> Bool { ts >= earliest && ts < latest }

    /// A unix time given as a double, truncated to the second; nil when outside the span.
    public static func seconds(_ d: Double) -> Int64? {
        guard d.isFinite, d >= Double(earliest), d < Double(latest) else { return nil }
        return Int64(d.rounded(.down))
    }

    public static let describe = "between 1970-01-01 and 2199-12-31 UTC"
}
