import StrataDatabase

// The store's connection speaks `StoreError`: its SQLite failures name the store file.
typealias Database = StrataDatabase.Database<StoreError>
typealias Statement = StrataDatabase.Statement<StoreError>

extension StoreError: DatabaseFailure {}
