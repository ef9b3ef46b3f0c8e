/// A call card's `card_id`: the daemon run's number in `event_streams` in the high bits and the contact id in the
/// low 40. Contact ids start again at 1 on every run, so they alone do not name a card; a run's random 63-bit
/// `stream_id` is too wide to share an integer with them, its small number is not.
enum CardKey {
    static let contactBits = 40
    /// 2^40 contacts in one daemon run: more than a century at 100,000 contacts a second.
    static let contactLimit: UInt64 = 1 << contactBits

    /// The low bits of a key: its contact id.
    static let contactMask: UInt64 = contactLimit - 1

    /// The keys of run `streamNumber`'s cards: one range, its contact ids in the low bits.
    static func cardIDs(streamNumber: Int64) -> ClosedRange<Int64> {
        streamNumber << contactBits...(streamNumber << contactBits | Int64(contactMask))
    }

    /// The contact id a key holds.
    static func contact(of cardID: Int64) -> UInt64 {
        UInt64(bitPattern: cardID) & contactMask
    }

    static func cardID(streamNumber: Int64, contact: UInt64) throws(CRMError) -> Int64 {
        guard contact < contactLimit else {
            throw CRMError(code: "crm_contact_id_too_large",
                           message: "contact \(contact) is beyond the \(contactLimit) a daemon run's call cards can be keyed by")
        }
        return streamNumber << contactBits | Int64(contact)
    }
}
