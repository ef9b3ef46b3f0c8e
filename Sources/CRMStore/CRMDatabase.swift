import CSQLiteSetup
import GRDB

/// The CRM database file: one `DatabasePool` (WAL, so the profile cache reads while the store writes) that owns
/// every connection to it in this process. Opening migrates the schema to the current version.
public final class CRMDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// `acd_sqlite_configure`'s result, once per process, before this module opens any database; code that opens
    /// SQLite databases by other means reads it first. SQLITE_MISUSE (a database was opened before) leaves
    /// SQLite's defaults, which are slower, not wrong.
    public static let sqliteSetup = acd_sqlite_configure()

    public init(path: String) throws(CRMError) {
        _ = Self.sqliteSetup
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (`acdd crm-store` beside the daemon) may hold the write lock for a moment.
        configuration.busyMode = .timeout(5)
        // The store's writer keeps its transaction open from one batch to the next and commits every few of them
        // (`CallCardWriter`); it is the only code that writes through this pool while it runs.
        configuration.allowsUnsafeTransactions = true
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try CRMSchema.migrator.migrate(pool)
        } catch {
            throw CRMError(code: "crm_unavailable", message: "cannot open the CRM database at \(path): \(error)")
        }
    }

    /// True when the database holds no customers and no agents: `acdd seed-demo` only fills such a database.
    public func isEmpty() throws(CRMError) -> Bool {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM agents)") == 0
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(CRMError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw CRMError(code: "crm_read_failed", message: "reading the CRM database failed: \(error)")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(CRMError) -> T {
        do {
            return try pool.write(body)
        } catch let error as CRMError {
            throw error
        } catch {
            throw CRMError(code: "crm_write_failed", message: "writing the CRM database failed: \(error)")
        }
    }
}

/// A CRM failure with a stable code and a readable message.
public struct CRMError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
