import Logging
import StrataConfig
import StrataStore

/// Minutes written behind the sampler's back (`strata import` of a meter's history) meet the
/// alarm rules too: the consumption rules on the channels written judge the windows the data
/// touches (offline and threshold rules never go back in time).
public enum LateData {
    /// Judges the windows over `[from, to]` of the consumption rules on `channels`; returns how
    /// many alarm log lines were added. Their e-mails go out only for recent minutes (see the
    /// outbox intake), so importing years of history does not flood an inbox.
    @discardableResult
    public static func judge(
        config: StrataConfig, store: Store, channels: Set<Int64>, from: Int64, to: Int64,
        logger: Logger = Logger(label: "strata.alarms")
    ) throws(StoreError) -> Int {
        guard config.alarms.contains(where: { if case .consumption = $0.kind { true } else { false } }) else {
            return 0
        }
        var keeper = try AlarmKeeper(config: config, store: store, logger: logger)
        let before = try store.alarmLog().count
        try keeper.revisit(channels: channels, from: from, to: to, store: store)
        return try store.alarmLog().count - before
    }
}
