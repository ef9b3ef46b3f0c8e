@testable import CRMStore
import Foundation
import GRDB
import Logging
import RoutingCore
import Testing

/// An engine with one queue and no agents: every contact submitted waits.
private func queuingEngine() throws -> RoutingEngine {
    let queue = QueueRules(name: "q", channel: .voice, skills: ["general": 1])
    return try RoutingEngine(rules: RuleSet(tenants: [TenantRules(name: "t", skills: ["general"], queues: [queue])]), seed: 1)
}

/// The events of `count` contacts submitted a second apart, each with an external id.
private func submissions(_ count: Int, to engine: inout RoutingEngine) -> [Event] {
    (0..<count).flatMap { n in
        engine.handle(
            .submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice, externalID: "call-\(n)")),
            now: Instant(seconds: 1_800_000_000 + Double(n)))
    }
}

@Suite struct WorkPacerTests {
    /// A clock the test moves by hand, and the rests the pacer asked for.
    final class Script: @unchecked Sendable {
        var now: UInt64 = 1_000
        var rests: [WorkPacer.Rest] = []
        /// How long each sleep lasts beyond what it asked for; none once the list is used up.
        var oversleeps: [UInt64] = []

        func pacer(run: UInt64, rest: WorkPacer.Rest) -> WorkPacer {
            WorkPacer(runNanoseconds: run, rest: rest, clock: { self.now }, performRest: perform)
        }

        private func perform(_ rest: WorkPacer.Rest) {
            rests.append(rest)
            guard case .sleep(let nanoseconds) = rest else { return }
            now += UInt64(nanoseconds) + (oversleeps.isEmpty ? 0 : oversleeps.removeFirst())
        }
    }

    /// A run rests once it has lasted its length, and the next run starts after the rest; a new piece of work
    /// starts a new run, whatever the last one had used.
    @Test func aRunRestsOnceItHasLastedItsLength() {
        let script = Script()
        var pacer = script.pacer(run: 100, rest: .sleep(nanoseconds: 200))
        pacer.startRun()
        script.now += 99
        pacer.mayRest()
        #expect(script.rests.isEmpty)
        script.now += 1
        pacer.mayRest()
        #expect(script.rests == [.sleep(nanoseconds: 200)])
        script.now += 60
        pacer.mayRest()
        #expect(script.rests.count == 1, "the next run started after the rest")
        script.now += 40
        pacer.mayRest()
        #expect(script.rests.count == 2)
        script.now += 90
        pacer.startRun()
        script.now += 50
        pacer.mayRest()
        #expect(script.rests.count == 2, "a new piece of work starts a new run")
    }

    /// What a sleep lasts beyond the rest is taken off the next rest; a rest wholly overslept is skipped, and no
    /// more than one rest is carried over.
    @Test func anOversleptRestShortensTheNextOne() {
        let script = Script()
        script.oversleeps = [50, 230, 1_000]
        var pacer = script.pacer(run: 100, rest: .sleep(nanoseconds: 200))
        pacer.startRun()
        func runOnce() {
            script.now += 100
            pacer.mayRest()
        }
        runOnce()
        #expect(script.rests == [.sleep(nanoseconds: 200)])
        runOnce()
        #expect(script.rests.last == .sleep(nanoseconds: 150), "50 ns overslept")
        runOnce()
        #expect(script.rests.count == 2, "230 ns more overslept: this rest is skipped, and the 30 left over dropped")
        runOnce()
        #expect(script.rests.last == .sleep(nanoseconds: 200))
        runOnce()
        #expect(script.rests.count == 3, "1,000 ns overslept, of which one rest is carried over")
        runOnce()
        runOnce()
        #expect(script.rests == [200, 150, 200, 200, 200].map { .sleep(nanoseconds: $0) })
    }

    /// Work that must catch up is never held back, however long it runs.
    @Test func anUnpacedRunNeverRests() {
        let script = Script()
        var pacer = script.pacer(run: 0, rest: .none)
        pacer.startRun()
        script.now += 1_000_000_000
        pacer.mayRest()
        #expect(script.rests.isEmpty)
    }

    /// A real rest: a sleep lasts at least what was asked, and a yield returns.
    @Test func theRealRestsSleepAndYield() {
        let start = ContinuousClock.now
        WorkPacer.perform(.sleep(nanoseconds: 2_000_000))
        #expect(ContinuousClock.now - start >= .milliseconds(2))
        WorkPacer.perform(.yield)
        WorkPacer.perform(.none)
    }

    /// The writer checks its pacer as it applies events and inserts cards, and starts a run with each batch.
    @Test func theWriterRestsWithinALongBatch() throws {
        let crm = try TemporaryCRM()
        let script = Script()
        // Every check moves the clock on by 10 ns: a run of 100 ns is ten checks.
        let ticking = WorkPacer(
            runNanoseconds: 100, rest: .yield, clock: { script.now += 10; return script.now }, performRest: { script.rests.append($0) })
        let writer = CallCardWriter(database: crm.database, pacer: ticking)
        _ = try writer.follow(stream: 3)
        var engine = try queuingEngine()
        let events = submissions(400, to: &engine)
        try writer.write(events)
        // A check per 16 events applied (the 400 `received`; the `queued` ones change no card and are passed over),
        // then one per insert statement: 25 of 16 rows.
        let checks = 400 / CallCardWriter.pacingCheckInterval + 400 / CallCardWriter.insertRows
        // One clock read starts the run; each check reads it once, and a rest twice (the check, the new run).
        #expect(script.rests.count >= checks / 11 && script.rests.count <= checks / 9 + 1)
        #expect(try crm.rows("SELECT count(*) AS n FROM interactions")[0]["n"] as Int == 400)
    }
}

@Suite struct WALCheckpointerTests {
    /// Cards written stay in the log until a checkpoint (the writer's own comes at 1,000 pages); the checkpointer,
    /// woken by a commit, copies them into the database file, and the log starts again at the next commit.
    @Test func aCommitWakesTheCheckpointerWhichCopiesTheLogIntoTheDatabase() throws {
        let crm = try TemporaryCRM()
        let writer = CallCardWriter(database: crm.database)
        _ = try writer.follow(stream: 5)
        var engine = try queuingEngine()
        try writer.write(submissions(2_000, to: &engine))
        let before = try Self.fileSize(crm.path)
        let logged = try Self.fileSize(crm.path + "-wal")
        #expect(logged > 200_000, "the cards are in the log")

        let checkpointer = try WALCheckpointer(path: crm.path, logger: Logger(label: "test"))
        checkpointer.commitDidHappen()
        let deadline = ContinuousClock.now + .seconds(20)
        while try Self.fileSize(crm.path) <= before, ContinuousClock.now < deadline { usleep(10_000) }
        checkpointer.stop()
        #expect(try Self.fileSize(crm.path) > before + 200_000, "the database file holds the cards")

        // Everything was copied: the next commit writes the log from its start instead of growing it.
        try writer.write(engine.handle(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)), now: Instant(seconds: 1_800_100_000)))
        #expect(try Self.fileSize(crm.path + "-wal") == logged)
        #expect(try crm.rows("SELECT count(*) AS n FROM interactions")[0]["n"] as Int == 2_001)
    }

    /// Commits coming every 5 ms are copied once per interval, not one by one: each checkpoint ends with syncs, and
    /// those were most of what the checkpointer cost.
    @Test func commitsInQuickSuccessionShareACheckpoint() throws {
        let crm = try TemporaryCRM()
        let checkpointer = try WALCheckpointer(path: crm.path, interval: .milliseconds(100), logger: Logger(label: "test"))
        let started = ContinuousClock.now
        for _ in 0..<60 {
            checkpointer.commitDidHappen()
            usleep(5_000)
        }
        let signalling = ContinuousClock.now - started
        let deadline = ContinuousClock.now + .seconds(20)
        while checkpointer.checkpointCount == 0, ContinuousClock.now < deadline { usleep(10_000) }
        let count = checkpointer.checkpointCount
        checkpointer.stop()
        #expect(count >= 1)
        // One at the first commit, then at most one per 100 ms while they kept coming, and one after the last.
        #expect(count <= Int(signalling / .milliseconds(100)) + 2, "\(count) checkpoints in \(signalling)")
    }

    /// A file that is not a database in WAL mode, or no file at all, is refused with the store's error.
    @Test func onlyADatabaseInWALModeIsCheckpointed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rollback-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = CRMDatabase.sqliteSetup
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        try queue.close()
        #expect(throws: CRMError.self) { try WALCheckpointer(path: path, logger: Logger(label: "test")) }
        #expect(throws: CRMError.self) { try WALCheckpointer(path: "/nonexistent/crm.sqlite", logger: Logger(label: "test")) }
    }

    private static func fileSize(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }
}
