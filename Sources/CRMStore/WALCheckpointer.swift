import Foundation
import GRDBSQLite
import Logging
import Synchronization

/// Copies the CRM database's write-ahead log back into the database file from a thread and a connection of its own,
/// at `SCHED_IDLE`, so that the store's writes do not. Left to the writer, SQLite checkpoints inside the commit that
/// takes the log past 1,000 pages: at 56,000 contacts/s that made a write about every third of a second take 15
/// to 37 ms instead of 5 to 7, and the events meanwhile piled up until the store fell behind and competed with
/// routing (bench/README.md, session 28).
///
/// A passive checkpoint runs beside the writer without stopping it; one that copies every frame before the next
/// commit lets that commit start the log again from its beginning, so the log stays a few hundred pages long. Should
/// this thread get no CPU for long, the writer's own checkpoint at 1,000 pages still bounds the log.
///
/// A commit wakes it, but it copies the log at most once per `interval`: the commits in between go into the next
/// copy. Each checkpoint ends with syncs to disk, and nearly all of this thread's CPU is the kernel's, writing pages
/// back for them. Once per commit (40 a second) it took 0.025–0.052 of a core at 90,000–110,000 contacts/s end to
/// end, up to a fifth of what the store cost; once per 100 ms, 0.015 at 90,000/s (bench/README.md, session 34).
final class WALCheckpointer: Sendable {
    /// The least time between two checkpoints. At 100 ms the log holds about 2 MB at 150,000 contacts/s (a card and
    /// its index entry take about 145 bytes), half of the 1,000 pages past which the writer checkpoints in its commit.
    static let defaultInterval = Duration.milliseconds(100)

    private let commits = DispatchSemaphore(value: 0)
    private let thread: BackgroundThread
    private let checkpoints = CheckpointTally()

    /// Opens a second connection to the database at `path` (in WAL mode, as `CRMDatabase` opens it).
    init(path: String, interval: Duration = defaultInterval, logger: Logger) throws(CRMError) {
        let connection = try CheckpointConnection(path: path)
        let commits = self.commits
        let checkpoints = self.checkpoints
        thread = BackgroundThread(name: "acdd-checkpoint") { shouldStop in
            ThreadPriority.idle.applyToCurrentThread()
            var failureLogged = false
            var lastStarted: ContinuousClock.Instant?
            while !shouldStop() {
                // Each commit wakes it; the timeout only lets it see `shouldStop`.
                guard commits.wait(timeout: .now() + .milliseconds(100)) == .success else { continue }
                if let lastStarted {
                    let left = lastStarted + interval - .now
                    if left > .zero { Thread.sleep(forTimeInterval: left / .seconds(1)) }
                }
                // The commits that came meanwhile are in this checkpoint; those that come during it wake the next.
                while commits.wait(timeout: .now()) == .success {}
                lastStarted = .now
                let result = connection.checkpoint()
                checkpoints.count.add(1, ordering: .relaxed)
                // Busy: the writer's own checkpoint is running; the next commit brings another turn.
                if result != SQLITE_OK, result != SQLITE_BUSY, !failureLogged {
                    failureLogged = true
                    logger.error("checkpointing the CRM database failed (SQLite error \(result)); the writer's own checkpoints go on")
                }
            }
            connection.close()
        }
    }

    /// The writer committed: the log has new frames.
    func commitDidHappen() {
        commits.signal()
    }

    /// How many checkpoints it has run.
    var checkpointCount: Int { checkpoints.count.load(ordering: .relaxed) }

    /// Waits for the thread to finish; the connection is closed.
    func stop() {
        thread.stop()
    }
}

/// Shared by the checkpointer's thread, which counts, and whoever asks.
private final class CheckpointTally: Sendable {
    let count = Atomic<Int>(0)
}

/// The checkpointer's SQLite connection, used by its thread alone.
private struct CheckpointConnection: @unchecked Sendable {
    private let handle: OpaquePointer

    init(path: String) throws(CRMError) {
        _ = CRMDatabase.sqliteSetup
        var handle: OpaquePointer?
        let opened = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil)
        guard opened == SQLITE_OK, let handle else {
            sqlite3_close_v2(handle)
            throw CRMError(code: "crm_unavailable", message: "cannot open \(path) to checkpoint it (SQLite error \(opened))")
        }
        self.handle = handle
        // A connection learns that the file is in WAL mode only once it reads it; until then a checkpoint does nothing.
        guard Self.journalMode(handle) == "wal" else {
            sqlite3_close_v2(handle)
            throw CRMError(code: "crm_unavailable", message: "\(path) is not in WAL mode: nothing to checkpoint")
        }
    }

    /// A passive checkpoint: as many frames as readers allow, without waiting for anyone.
    func checkpoint() -> Int32 {
        sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
    }

    func close() {
        sqlite3_close_v2(handle)
    }

    private static func journalMode(_ handle: OpaquePointer) -> String? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, "PRAGMA journal_mode", -1, &statement, nil) == SQLITE_OK else { return nil }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }
}
