@testable import CRMStore
import GRDB
import RoutingCore
import Testing

/// The writer may leave its transaction open for the next batches and commit them together: what it has not
/// committed is neither seen by readers nor in the cursor, and a failure takes back every batch since the last commit.
@Suite struct OpenTransactionTests {
    static let everything = "SELECT * FROM interactions ORDER BY contact_id"

    /// A fresh database and a writer following run 42 in it.
    static func following() throws -> (TemporaryCRM, CallCardWriter) {
        let crm = try TemporaryCRM()
        let writer = CallCardWriter(database: crm.database)
        _ = try writer.follow(stream: 42)
        return (crm, writer)
    }

    /// The day of `CallCardWriterTests` written at once and committed: what any split of it must end as.
    static func reference(_ events: [Event]) throws -> TemporaryCRM {
        let (crm, writer) = try following()
        try writer.write(events)
        return crm
    }

    /// The same call cards and the same cursor as `reference`.
    static func expect(_ crm: TemporaryCRM, toEqual reference: TemporaryCRM) throws {
        #expect(try crm.rows(everything) == reference.rows(everything))
        #expect(try crm.rows("SELECT * FROM event_cursor") == reference.rows("SELECT * FROM event_cursor"))
    }

    /// `write` fails, and the writer is back at its last commit, through `committed`, with nothing open.
    static func expectTakenBack(_ writer: CallCardWriter, to committed: UInt64, by write: () throws -> Void) {
        #expect {
            try write()
        } throws: { error in
            (error as? CRMError)?.code == "crm_write_failed"
        }
        #expect(!writer.hasUncommittedWrites)
        #expect(writer.writtenThrough == committed && writer.appliedThrough == writer.writtenThrough)
    }

    @Test func batchesLeftOpenAreSeenOnlyOnceCommittedAndThenAsIfWrittenAtOnce() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let reference = try Self.reference(events)
        let (crm, writer) = try Self.following()
        let thirds = [0, events.count / 3, 2 * events.count / 3, events.count]

        for piece in 0..<2 {
            try writer.write(Array(events[thirds[piece]..<thirds[piece + 1]]), commit: false)
            #expect(writer.hasUncommittedWrites)
            #expect(writer.appliedThrough == events[thirds[piece + 1] - 1].sequence && writer.writtenThrough == 0)
            // Readers see the database as it was at the last commit: nothing yet.
            #expect(try crm.rows(Self.everything).isEmpty && crm.rows("SELECT * FROM event_cursor").isEmpty)
        }
        // Events already applied in the open transaction are skipped, as those committed are.
        try writer.write(Array(events[thirds[1]..<thirds[2]]), commit: false)
        #expect(writer.appliedThrough == events[thirds[2] - 1].sequence)

        try writer.write(Array(events[thirds[2]...]))
        #expect(!writer.hasUncommittedWrites)
        #expect(writer.writtenThrough == events.last!.sequence && writer.appliedThrough == writer.writtenThrough)
        try Self.expect(crm, toEqual: reference)
    }

    @Test func commitAloneWritesTheOpenTransactionAndIsANoOpWithoutOne() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let reference = try Self.reference(events)
        let (crm, writer) = try Self.following()
        try writer.commit()
        #expect(try crm.rows("SELECT * FROM event_cursor").isEmpty)

        try writer.write(events, commit: false)
        try writer.commit()
        #expect(!writer.hasUncommittedWrites && writer.writtenThrough == events.last!.sequence)
        #expect(try crm.rows(Self.everything) == reference.rows(Self.everything))
        try writer.commit()
        #expect(try crm.rows("SELECT * FROM event_cursor") == reference.rows("SELECT * FROM event_cursor"))
    }

    /// Another daemon run starts on a committed database: the open transaction is committed first.
    @Test func followingAnotherRunCommitsWhatIsOpen() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let (crm, writer) = try Self.following()
        try writer.write(events, commit: false)
        #expect(try writer.follow(stream: 43) == 0)
        #expect(!writer.hasUncommittedWrites)
        #expect(try crm.rows("SELECT last_sequence FROM event_cursor WHERE stream_id = 42").first?["last_sequence"]
            == Int64(events.last!.sequence))
        #expect(try crm.rows(Self.everything).count == 3)
    }

    @Test func aFailedBatchTakesBackEveryBatchSinceTheLastCommit() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let reference = try Self.reference(events)
        let (crm, writer) = try Self.following()
        let half = events.count / 2
        try writer.write(Array(events[..<half]))
        let committed = try crm.rows(Self.everything)
        try writer.write(Array(events[half..<(events.count - 1)]), commit: false)

        // A proficiency the skills table refuses (its CHECK), as a database that cannot take a write would.
        let refused = Event(
            sequence: events.last!.sequence + 1, at: events.last!.at, kind: .skillsChanged("ann", skills: ["general": 11]))
        Self.expectTakenBack(writer, to: events[half - 1].sequence) { try writer.write([refused], commit: false) }
        #expect(try crm.rows(Self.everything) == committed)

        // Written again from the last commit, the events end as they would have.
        try writer.write(Array(events[half...]))
        try Self.expect(crm, toEqual: reference)
    }

    /// A call card the table refuses: its insert (`INSERT OR ROLLBACK`, no statement journal) takes SQLite's
    /// transaction back by itself, and the writer is left as after any failure.
    @Test func aRefusedCallCardTakesBackEveryBatchSinceTheLastCommit() throws {
        let events = try CallCardWriterTests.dayOfEvents()
        let reference = try Self.reference(events)
        let (crm, writer) = try Self.following()
        guard let split = events.lastIndex(where: { if case .received = $0.kind { true } else { false } }),
              case .received(let contact, _) = events[split].kind else {
            Issue.record("the day has no contact")
            return
        }
        try writer.write(Array(events[..<split]))
        let committed = try crm.rows(Self.everything)
        // A row already at the card's key, as another writer of the same run would have left it.
        let cardID = try CardKey.cardID(streamNumber: 1, contact: contact.rawValue)
        try crm.database.pool.write { db in
            try db.execute(sql: "INSERT INTO call_cards (card_id, received_at) VALUES (?, 0)", arguments: [cardID])
        }
        Self.expectTakenBack(writer, to: events[split - 1].sequence) {
            try writer.write(Array(events[split...]), commit: false)
        }
        #expect(try crm.rows(Self.everything).count == committed.count + 1)

        try crm.database.pool.write { try $0.execute(sql: "DELETE FROM call_cards WHERE card_id = ?", arguments: [cardID]) }
        try writer.write(Array(events[split...]))
        try Self.expect(crm, toEqual: reference)
    }

    /// The daemon reads how far the store has applied to tell how far behind it is, and how far it has committed
    /// to keep in its replay buffer what the database does not hold yet.
    @Test func progressTellsAppliedFromCommitted() {
        let progress = CRMStoreProgress()
        progress.record(stream: 7, writtenThrough: 100, appliedThrough: 180)
        #expect(progress.writtenThrough(of: 7) == 100 && progress.appliedThrough(of: 7) == 180)
        #expect(progress.appliedThrough(of: 8) == 0 && !progress.hasWritten(through: 101, of: 7))
        progress.record(stream: 7, writtenThrough: 180, appliedThrough: 0)
        #expect(progress.appliedThrough(of: 7) == 180 && progress.hasWritten(through: 180, of: 7))
    }
}
