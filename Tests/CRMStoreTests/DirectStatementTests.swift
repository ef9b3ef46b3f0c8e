@testable import CRMStore
import GRDB
import Testing

/// `DirectStatement` binds a parameter again only when its value changes: every row must still read back as bound,
/// whatever went in the same parameter before it, in this statement or in one of the same text used earlier.
@Suite struct DirectStatementTests {
    typealias Values = (number: Int64?, text: String?, count: Int32)

    /// Values in the order they are bound: repeats, NULL after a value and a value after NULL, the same text or
    /// number in another parameter's place, texts longer than a small string and the empty one.
    static let rows: [Values] = [
        (1, "calls", 0), (1, "calls", 0), (nil, "calls", 0), (nil, nil, 0), (2, nil, 1), (2, "", 1),
        (2, "a queue named well past fifteen bytes", 1), (2, "a queue named well past fifteen bytes", 2),
        (0, "chat", 2), (0, nil, 0), (7, "7", 7), (7, "7", 7),
    ]

    func insert(_ rows: ArraySlice<Values>, in db: Database, texts: BindingArena) throws {
        let statement = try DirectStatement(
            db, sql: "INSERT INTO bound (number, text, count, label) VALUES (?1, ?2, ?3, ?4)", texts: texts)
        for (index, row) in zip(rows.indices, rows) {
            statement.bind(row.number, at: 1)
            statement.bind(row.text, at: 2)
            statement.bind(row.count, at: 3)
            // A text that changes every row: its copy must not take the place of one still bound.
            statement.bind(Self.label(index), at: 4)
            try statement.run()
        }
    }

    static func label(_ index: Int) -> String { "label \(index)" }

    @Test func everyRowReadsBackAsBoundWhateverCameBeforeIt() throws {
        let crm = try TemporaryCRM()
        let texts = BindingArena()
        try crm.database.pool.write { db in
            try db.execute(sql: "CREATE TABLE bound (id INTEGER PRIMARY KEY, number INTEGER, text TEXT, count INTEGER, label TEXT)")
            // Two writes of the store: the second starts from an arena reset, as `CallCardWriter` does.
            try insert(Self.rows[..<7], in: db, texts: texts)
            texts.reset()
            try insert(Self.rows[7...], in: db, texts: texts)
        }
        let read = try crm.rows("SELECT number, text, count, label FROM bound ORDER BY id")
        #expect(read.count == Self.rows.count)
        for (index, (row, expected)) in zip(read, Self.rows).enumerated() {
            #expect(row["number"] as Int64? == expected.number)
            #expect(row["text"] as String? == expected.text)
            #expect(row["count"] as Int32 == expected.count)
            #expect(row["label"] as String == Self.label(index))
        }
    }
}
