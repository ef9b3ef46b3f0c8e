/// The engine's contact records by slot. A slot is live from `occupy` to `vacate`; a vacant slot holds
/// `ContactRecord.vacant` rather than nil.
///
/// The records were `ContactRecord?`, and every read of one, `contacts[s]!`, tested the optional's tag, which
/// Swift keeps in the spare bits of the phase: about seven instructions each time, again after every call that
/// might have written the record. The engine only reaches a slot through its indexes, which hold live slots
/// alone, so the test never failed outside a bug. Debug builds, where the tests run, still check every access.
struct ContactRecords {
    private var records = LineAlignedArray<ContactRecord>()

    var indices: Range<Int> { records.indices }
    var count: Int { records.count }

    subscript(slot: Int) -> ContactRecord {
        unsafeAddress {
            assert(!records[slot].isVacant, "contact slot \(slot) read while vacant")
            return records.address(slot)
        }
        unsafeMutableAddress {
            assert(!records[slot].isVacant, "contact slot \(slot) written while vacant")
            return records.mutableAddress(slot)
        }
    }

    /// Where the record at `slot` is, live or vacant: for `RoutingEngine.prepare(_:)`'s hints to the processor.
    func address(_ slot: Int) -> UnsafeRawPointer { UnsafeRawPointer(records.address(slot)) }

    /// The record at `slot`, or nil if the slot is vacant: for the queries and checks, which may look anywhere.
    func live(_ slot: Int) -> ContactRecord? {
        records[slot].isVacant ? nil : records[slot]
    }

    /// Every live record with its slot, in slot order.
    var live: [(slot: Int, record: ContactRecord)] {
        records.indices.compactMap { records[$0].isVacant ? nil : ($0, records[$0]) }
    }

    mutating func occupy(_ slot: Int, with record: ContactRecord) {
        assert(records[slot].isVacant, "contact slot \(slot) occupied twice")
        records[slot] = record
    }

    mutating func vacate(_ slot: Int) {
        records[slot] = .vacant
    }

    /// A new vacant slot at the end.
    mutating func appendVacant() {
        records.append(.vacant)
    }

    mutating func makeUnique() {
        records.makeUnique()
    }
}
