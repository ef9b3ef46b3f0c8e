import GRDB
import GRDBSQLite

/// One of the store's hot statements, bound value by value through the SQLite C API. GRDB's `StatementArguments`
/// boxes every value in an existential and copies the array twice before binding: for the 28 columns of a call card
/// that cost more than SQLite's own insert (callgrind, `acd-bench crm`). Prepared once for the writer that uses it,
/// and its alone: what it has bound is known only to it (`CallCardWriter.Statements`).
///
/// A value equal to the one its parameter already holds is not bound again: SQLite keeps bindings from one run to
/// the next, and most of a call card's columns (its tenant, channel and queues, its counters, the columns still
/// NULL) hold the same values row after row. Binding them all again was a quarter of the writer's instructions
/// (bench/README.md, session 33).
struct DirectStatement {
    private let statement: Statement
    private let texts: BindingArena
    private let bound: BoundValues

    /// `texts` keeps the bytes of bound text; when it is reset, `forgetTexts()` must be called before the next run.
    init(_ db: Database, sql: String, texts: BindingArena) throws {
        statement = try db.makeStatement(sql: sql)
        self.texts = texts
        bound = BoundValues(count: Int(sqlite3_bind_parameter_count(statement.sqliteStatement)))
    }

    private var handle: OpaquePointer { statement.sqliteStatement }

    /// Binds the parameter at `index` (1-based, as in SQLite).
    func bind(_ value: String?, at index: Int32) {
        guard var value else {
            if bound.replaceWithNull(index) { sqlite3_bind_null(handle, index) }
            return
        }
        guard bound.replace(index, with: value) else { return }
        value.withUTF8 { bytes in
            // SQLITE_STATIC: SQLite reads the arena's copy in place, which lives as long as this value. With
            // SQLITE_TRANSIENT it allocated a copy of its own per value, 12% of the store's instructions.
            _ = sqlite3_bind_text(handle, index, texts.keep(bytes), Int32(bytes.count), nil)
        }
    }

    func bind(_ value: Int64?, at index: Int32) {
        guard let value else {
            if bound.replaceWithNull(index) { sqlite3_bind_null(handle, index) }
            return
        }
        if bound.replace(index, with: value) { sqlite3_bind_int64(handle, index, value) }
    }

    func bind(_ value: Int32, at index: Int32) {
        bind(Int64(value), at: index)
    }

    /// The bound texts' bytes are about to be reused (`BindingArena.reset`): each text is bound again before the
    /// next run.
    func forgetTexts() {
        bound.forgetTexts()
    }

    /// Runs the statement to its end and resets it for the next binding; returns the number of rows it changed.
    @discardableResult
    func run() throws -> Int {
        let code = sqlite3_step(handle)
        let changes = code == SQLITE_DONE ? Int(sqlite3_changes(sqlite3_db_handle(handle))) : 0
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
        // The bindings stay for the next run, which binds only what differs. Once the arena is reset, the texts
        // among them point at bytes about to be reused: SQLite reads a binding only when the statement steps, and
        // `forgetTexts` has each bound again before then.
        sqlite3_reset(handle)
        guard let message else { return changes }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}

/// What each parameter of one `DirectStatement` holds, as far as it has bound it. Three typed columns rather than
/// an array of an enum: compared and replaced through the enum's value witnesses, the check cost 55 instructions a
/// parameter, a third of what it saved.
private final class BoundValues {
    private enum Kind: UInt8 {
        case unbound, null, integer, text
    }

    private let count: Int
    private let kinds: UnsafeMutablePointer<Kind>
    private let integers: UnsafeMutablePointer<Int64>
    private let texts: UnsafeMutablePointer<String>

    init(count: Int) {
        self.count = count
        kinds = .allocate(capacity: count)
        kinds.initialize(repeating: .unbound, count: count)
        integers = .allocate(capacity: count)
        integers.initialize(repeating: 0, count: count)
        texts = .allocate(capacity: count)
        texts.initialize(repeating: "", count: count)
    }

    deinit {
        kinds.deallocate()
        integers.deallocate()
        texts.deinitialize(count: count)
        texts.deallocate()
    }

    /// Every parameter holding a text is taken as unbound, so that the next value is bound whatever it is.
    func forgetTexts() {
        for slot in 0..<count where kinds[slot] == .text { kinds[slot] = .unbound }
    }

    /// Each notes that parameter `index` (1-based) holds the value; false if it held it already.
    func replaceWithNull(_ index: Int32) -> Bool {
        let slot = self.slot(index)
        guard kinds[slot] != .null else { return false }
        kinds[slot] = .null
        return true
    }

    func replace(_ index: Int32, with value: Int64) -> Bool {
        replace(index, with: value, kind: .integer, in: integers)
    }

    func replace(_ index: Int32, with value: String) -> Bool {
        replace(index, with: value, kind: .text, in: texts)
    }

    /// Private, so specialized for each of the two: no value witnesses on the hot path.
    private func replace<Value: Equatable>(
        _ index: Int32, with value: Value, kind: Kind, in values: UnsafeMutablePointer<Value>
    ) -> Bool {
        let slot = self.slot(index)
        guard kinds[slot] != kind || values[slot] != value else { return false }
        kinds[slot] = kind
        values[slot] = value
        return true
    }

    private func slot(_ index: Int32) -> Int {
        let slot = Int(index) - 1
        precondition(slot >= 0 && slot < count, "parameter \(index) of \(count)")
        return slot
    }
}

/// Memory that holds copies of bound text while the statements bound to them are used, reused from one write of the
/// store to the next. Chunks are never moved, so a pointer handed out stays valid until `reset`.
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
