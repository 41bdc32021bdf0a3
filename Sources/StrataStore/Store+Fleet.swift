import StrataCore

/// A central box's record of its fleet archive tree (`[fleet]`), for `strata status`: when it
/// was last refreshed and what the last failure said.
extension Store {
    public func fleetRefreshed(at now: Int64, files: Int) throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            try setMeta("fleet.last_success", String(now))
            try setMeta("fleet.last_files", String(files))
            try db.exec("DELETE FROM meta WHERE key = 'fleet.last_error'")
        }
    }

    public func fleetFailed(_ message: String, at now: Int64) throws(StoreError) {
        try setMeta("fleet.last_error", "\(now) \(message)")
    }

    /// nil until the tree was first tried.
    public func fleetStatus() throws(StoreError) -> (lastSuccess: Int64?, lastFiles: Int?, lastError: String?)? {
        let s = try meta("fleet.last_success").flatMap { Int64($0) }
        let e = try meta("fleet.last_error")
        guard s != nil || e != nil else { return nil }
        return (s, try meta("fleet.last_files").flatMap { Int($0) }, e)
    }
}
