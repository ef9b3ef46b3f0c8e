import GRDB

/// The numbers `call_cards` stores for the names a call card holds (tenants, channels, queues, tiers, languages,
/// agents, outcomes): each name's row in `card_names`, added the first time a card holds it. Looked up about six
/// times a contact, so the last number each of 1,024 slots saw answers first, found by the string's two words (a
/// short string's bytes, or a long one's length and storage): a `Dictionary` hashes the whole string with SipHash
/// (nearly 300 instructions a lookup in `acd-bench crm`, against about 40). A slot keeps its string, so that a string
/// object it names is never freed and its address given to another string while the slot holds it. Used by the
/// store's thread alone.
final class CardNames {
    private static let slotBits = 10
    /// Each slot's string's two words, number, and string; a slot no name has taken holds two zero words, which no
    /// string has (an empty one is marked as such in its second word).
    @exclusivity(unchecked) private var slotWords = [(UInt64, UInt64)](repeating: (0, 0), count: 1 << slotBits)
    @exclusivity(unchecked) private var slotNumbers = [Int64](repeating: 0, count: 1 << slotBits)
    @exclusivity(unchecked) private var slotNames = [String](repeating: "", count: 1 << slotBits)
    @exclusivity(unchecked) private var numbers: [String: Int64] = [:]

    /// `name`'s number, added to `card_names` in `db`'s transaction if it has none.
    func number(for name: String, db: Database) throws -> Int64 {
        let words = unsafeBitCast(name, to: (UInt64, UInt64).self)
        // Both words mixed: names of one length differ only in the first, and agents' numbered names only in a
        // few bytes of either.
        let mixed = (words.0 &* 0x9E37_79B9_7F4A_7C15 ^ words.1) &* 0xC2B2_AE3D_27D4_EB4F
        let index = Int(truncatingIfNeeded: mixed >> (64 - Self.slotBits))
        if slotWords[index] == words { return slotNumbers[index] }
        let number = try numbers[name] ?? added(name, db: db)
        slotWords[index] = words
        slotNumbers[index] = number
        slotNames[index] = name
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
        slotWords = [(UInt64, UInt64)](repeating: (0, 0), count: slotWords.count)
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
