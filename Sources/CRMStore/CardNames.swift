import GRDB

/// The numbers `call_cards` stores for the names a call card holds (tenants, channels, queues, tiers, languages,
/// agents, outcomes): each name's row in `card_names`, added the first time a card holds it. Looked up about seven
/// times a contact, so the last number each of 256 slots saw answers first, found by the string's two words: a
/// `Dictionary` hashes the whole string with SipHash, about 150 instructions a lookup. A slot keeps its string, so
/// that a string object it names is never freed and its address given to another string while the slot holds it.
/// Used by the store's thread alone.
final class CardNames {
    private struct Slot {
        var words: (UInt64, UInt64)
        var name: String
        var number: Int64
    }

    @exclusivity(unchecked) private var slots = [Slot?](repeating: nil, count: 256)
    @exclusivity(unchecked) private var numbers: [String: Int64] = [:]

    /// `name`'s number, added to `card_names` in `db`'s transaction if it has none.
    func number(for name: String, db: Database) throws -> Int64 {
        let words = unsafeBitCast(name, to: (UInt64, UInt64).self)
        let index = Int(truncatingIfNeeded: (words.0 ^ (words.1 &* 0x9E37_79B9_7F4A_7C15)) >> 56)
        if let slot = slots[index], slot.words == words { return slot.number }
        let number = try numbers[name] ?? added(name, db: db)
        slots[index] = Slot(words: words, name: name, number: number)
        return number
    }

    /// As `number(for:db:)`, nil for nil.
    func numberIfAny(for name: String?, db: Database) throws -> Int64? {
        guard let name else { return nil }
        return try number(for: name, db: db)
    }

    /// After a rollback: the numbers added in the transaction are gone with it.
    func forget() {
        numbers.removeAll()
        slots = [Slot?](repeating: nil, count: slots.count)
    }

    private func added(_ name: String, db: Database) throws -> Int64 {
        if let number = try Int64.fetchOne(db, sql: "SELECT id FROM card_names WHERE name = ?", arguments: [name]) {
            numbers[name] = number
            return number
        }
        try db.execute(sql: "INSERT INTO card_names (name) VALUES (?)", arguments: [name])
        numbers[name] = db.lastInsertedRowID
        return db.lastInsertedRowID
    }
}
