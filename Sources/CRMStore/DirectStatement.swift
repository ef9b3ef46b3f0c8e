import GRDB
import GRDBSQLite

/// One of the store's hot statements, bound value by value through the SQLite C API. GRDB's `StatementArguments`
/// boxes every value in an existential and copies the array twice before binding: for the 28 columns of a call card
/// that cost more than SQLite's own insert (callgrind, `acd-bench crm`). Looked up once per transaction.
struct DirectStatement {
    private let statement: Statement
    private let texts: BindingArena

    /// `texts` keeps the bytes of bound text until the statement has run.
    init(_ db: Database, sql: String, texts: BindingArena) throws {
        statement = try db.cachedStatement(sql: sql)
        self.texts = texts
    }

    private var handle: OpaquePointer { statement.sqliteStatement }

    /// Binds the parameter at `index` (1-based, as in SQLite).
    func bind(_ value: String?, at index: Int32) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            // SQLITE_STATIC: SQLite reads the arena's copy in place until `run` resets the statement. With
            // SQLITE_TRANSIENT it allocated a copy of its own per value, 12% of the store's instructions.
            _ = sqlite3_bind_text(handle, index, texts.keep(bytes), Int32(bytes.count), nil)
        }
    }

    func bind(_ value: Int64?, at index: Int32) {
        guard let value else {
            sqlite3_bind_null(handle, index)
            return
        }
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ value: Int32, at index: Int32) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    /// Runs the statement to its end and resets it for the next binding; returns the number of rows it changed.
    @discardableResult
    func run() throws -> Int {
        let code = sqlite3_step(handle)
        let changes = code == SQLITE_DONE ? Int(sqlite3_changes(sqlite3_db_handle(handle))) : 0
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
        sqlite3_reset(handle)
        // The bindings are left in place, pointing at arena bytes about to be reused: SQLite reads a binding only
        // when the statement steps, and every run of these statements binds each parameter it reads first (GRDB,
        // running the same SQL, binds all its arguments). Clearing them cost 2.5 % of the writer's instructions.
        texts.reset()
        guard let message else { return changes }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}

/// Memory that holds copies of bound text while a statement runs, reused from one run to the next. Chunks are never
/// moved, so a pointer handed out stays valid until `reset`.
final class BindingArena {
    // Used by the store's thread alone, once per bound text: no run-time exclusivity checks (see `CallCard`).
    @exclusivity(unchecked) private var chunks: [UnsafeMutableRawBufferPointer] = []
    @exclusivity(unchecked) private var chunk = 0
    @exclusivity(unchecked) private var used = 0
    private static let chunkSize = 4096

    /// A copy of `bytes` that lives until the next `reset`.
    func keep(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
        if chunks.isEmpty || used + bytes.count > chunks[chunk].count {
            nextChunk(fitting: bytes.count)
        }
        let start = chunks[chunk].baseAddress! + used
        if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
        used += bytes.count
        return UnsafePointer(start.assumingMemoryBound(to: CChar.self))
    }

    func reset() {
        chunk = 0
        used = 0
    }

    private func nextChunk(fitting count: Int) {
        if !chunks.isEmpty { chunk += 1 }
        used = 0
        if chunk < chunks.count, chunks[chunk].count >= count { return }
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Self.chunkSize, count), alignment: 8)
        if chunk < chunks.count {
            chunks[chunk].deallocate()
            chunks[chunk] = fresh
        } else {
            chunks.append(fresh)
        }
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }
}
