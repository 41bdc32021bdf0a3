import StrataReport
import StrataTestSupport
import Testing

/// The outbox is its own SQLite file: its errors name it, not the data store.
struct OutboxErrorTests {
    @Test func anOutboxThatCannotBeCreatedSaysWhichFileAndWhatToCheck() {
        do {
            _ = try Outbox(path: "/proc/strata-no-such-folder/outbox.sqlite")
            Issue.record("an outbox was created under /proc")
        } catch {
            guard case .cannotOpen(let path, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(path == "/proc/strata-no-such-folder/outbox.sqlite")
            #expect(
                error.description.contains("cannot open the report outbox /proc/strata-no-such-folder/outbox.sqlite"))
            #expect(error.description.contains("[outbox] folder"))
        }
    }

    @Test func aFileThatIsNotADatabaseIsReportedAsADamagedOutbox() throws {
        let dir = TempDir()
        try dir.write("outbox.sqlite", String(repeating: "not a database ", count: 400))
        do {
            _ = try Outbox(path: dir.file("outbox.sqlite"))
            Issue.record("a text file opened as an outbox")
        } catch {
            guard case .corrupt = error else {
                Issue.record("\(error)")
                return
            }
            #expect(error.description.contains("report outbox") && error.description.contains("is damaged"))
        }
    }
}
