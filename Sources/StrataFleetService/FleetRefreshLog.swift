/// Where a central box records its fleet tree refreshes for `strata status` (the store's one
/// writer): not being able to record one is the recorder's to log, never the refresh's failure.
public protocol FleetRefreshLog: Sendable {
    func fleetRefreshed(now: Int64, files: Int) async
    func fleetFailed(_ message: String, now: Int64) async
}
