import GRDB
import GRDBSQLite

/// One of the store's hot statements, bound value by value through the SQLite C API. GRDB's `StatementArguments`
/// boxes every value in an existential and copies the array twice before binding: for the 28 columns of a call card
/// that cost more than SQLite's own insert (callgrind, `acd-bench crm`). Looked up once per transaction.
struct DirectStatement {
    private let statement: Statement

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
    }

    private var handle: OpaquePointer { statement.sqliteStatement }

    /// Binds the parameter at `index` (1-based, as in SQLite).
    func bind(_ value: String?, at index: Int32) {
        guard var value else {
            sqlite3_bind_null(handle, index)
            return
        }
        value.withUTF8 { bytes in
            // SQLITE_TRANSIENT: SQLite copies the bytes, which the string only lends for this call.
            _ = sqlite3_bind_text(
                handle, index, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                Int32(bytes.count), unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self))
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

    /// Runs the statement to its end and resets it for the next binding.
    func run() throws {
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE {
            sqlite3_reset(handle)
            return
        }
        let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}
