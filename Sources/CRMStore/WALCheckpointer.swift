import Foundation
import GRDBSQLite
import Logging

/// Copies the CRM database's write-ahead log back into the database file from a thread and a connection of its own,
/// at `SCHED_IDLE`, so that the store's writes do not. Left to the writer, SQLite checkpoints inside the commit that
/// takes the log past 1,000 pages: at 56,000 contacts/s that made a write about every third of a second take 15
/// to 37 ms instead of 5 to 7, and the events meanwhile piled up until the store fell behind and competed with
/// routing (bench/README.md, session 28).
///
/// A passive checkpoint runs beside the writer without stopping it; one that copies every frame before the next
/// commit lets that commit start the log again from its beginning, so the log stays a few dozen pages long. Should
/// this thread get no CPU for long, the writer's own checkpoint at 1,000 pages still bounds the log.
final class WALCheckpointer: Sendable {
    private let commits = DispatchSemaphore(value: 0)
    private let thread: BackgroundThread

    /// Opens a second connection to the database at `path` (in WAL mode, as `CRMDatabase` opens it).
    init(path: String, logger: Logger) throws(CRMError) {
        let connection = try CheckpointConnection(path: path)
        let commits = self.commits
        thread = BackgroundThread(name: "acdd-checkpoint") { shouldStop in
            ThreadPriority.idle.applyToCurrentThread()
            var failureLogged = false
            while !shouldStop() {
                // Each commit wakes it; the timeout only lets it see `shouldStop`.
                guard commits.wait(timeout: .now() + .milliseconds(100)) == .success else { continue }
                let result = connection.checkpoint()
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

    /// Waits for the thread to finish; the connection is closed.
    func stop() {
        thread.stop()
    }
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
