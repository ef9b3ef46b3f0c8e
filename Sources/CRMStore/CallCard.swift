import GRDB
import RoutingCore

/// One row of `interactions`: what happened to one contact, from its arrival to the end of its wrap-up. The writer
/// keeps the cards in progress in slots of one array (`CallCardWriter.cards`) and changes them there, in place.
struct CallCard {
    /// The row's key (`CardKey`).
    var cardID: Int64
    var stream: Int64
    var contactID: UInt64
    var externalID: String?
    var tenant: String
    var channel: String
    var firstQueue: String
    var queue: String
    var customerID: String?
    var customerTier: String?
    var language: String?
    var priority: Int32
    var ivrData: String?
    var callbackNumber: String?
    var receivedAt: Int64
    var firstOfferedAt: Int64?
    var answeredAt: Int64?
    var endedAt: Int64?
    var wrapUpEndedAt: Int64?
    var agentID: String?
    var waitMs: Int64?
    var talkMs: Int64?
    var wrapUpMs: Int64?
    var outcome: String?
    var offers: Int32 = 0
    var offersDeclined: Int32 = 0
    var offersMissed: Int32 = 0
    var overflows: Int32 = 0
    var overflowedTo: String?
    /// The sequence number of the last event applied to the card. A store that starts again from a cursor held back
    /// for cards it had not saved (`CallCardWriter.CardHolding`) meets events its saved cards already show, and
    /// skips them by it: an offer counted twice would be wrong.
    var eventsThrough: UInt64 = 0

    /// Whether the card changed during the write in progress.
    var isDirty = false
    /// The first change not saved yet: its event's sequence number and time; nil when the row shows every change.
    var unsavedSince: (sequence: UInt64, at: Int64)?
    /// Whether the card has a row: a later save updates only what can change, and no index.
    var isSaved = false

    /// A card with nothing in it yet: what a slot holds before `start` fills it.
    static let blank = CallCard()

    private init() {
        cardID = 0
        stream = 0
        contactID = 0
        tenant = ""
        channel = ""
        firstQueue = ""
        queue = ""
        priority = 0
        receivedAt = 0
    }

    /// Makes this the card of a contact just received, by the event of sequence number `sequence` at `at`, in place:
    /// the writer reuses the slots of finished cards (`CallCardWriter.openSlot(for:)`). Blank first, so that nothing
    /// of the card the slot held before is left.
    mutating func start(
        cardID: Int64, stream: Int64, contact: ContactID, submission: ContactSubmission, sequence: UInt64, at: Int64
    ) {
        self = Self.blank
        self.cardID = cardID
        self.stream = stream
        contactID = contact.rawValue
        externalID = submission.externalID
        tenant = submission.tenant
        channel = submission.channel.description
        firstQueue = submission.queue
        queue = submission.queue
        // Read once: each read of a submission's field copies it out of the submission's storage.
        let profile = submission.profile
        customerID = profile.customerID
        customerTier = profile.tier
        language = profile.language
        priority = Int32(clamping: submission.priority)
        ivrData = submission.ivrData.isEmpty ? nil : IVRDataJSON.encode(submission.ivrData)
        callbackNumber = submission.callbackNumber
        receivedAt = at
        eventsThrough = sequence
    }

    /// Nothing more will happen to the contact: it ended without an agent, or its wrap-up is over.
    var isFinished: Bool {
        guard endedAt != nil else { return false }
        return answeredAt == nil || wrapUpEndedAt != nil || outcome == "agent_disconnected"
    }

    private static let columns = """
        card_id, stream_id, contact_id, external_id, tenant, channel, first_queue, queue, customer_id, customer_tier, language,
        priority, ivr_data, callback_number, received_at, first_offered_at, answered_at, ended_at, wrap_up_ended_at,
        agent_id, wait_ms, talk_ms, wrap_up_ms, outcome, offers, offers_declined, offers_missed, overflows, overflowed_to,
        events_through
        """

    /// Parameters per row: the 28 columns numbered as in `updateSQL`, then `card_id`, then `events_through`.
    static let parametersPerRow: Int32 = 30
    private static let cardIDParameter: Int32 = 29

    /// Inserts `rows` cards in one statement, row r's parameters numbered from r × 30 + 1: statement start and end
    /// cost SQLite about 2,500 instructions, whatever the rows. `OR ROLLBACK`, as the update: a refused row takes the
    /// whole transaction back, as the writer does after any failure anyway, so SQLite keeps no statement journal
    /// (the pages a statement changes, copied to undo that statement alone): 1.8 % of the writer's instructions
    /// (callgrind on `acd-bench crm --anonymous`, session 30).
    static func insertSQL(rows: Int) -> String {
        let tuples = (0..<Int32(rows)).map { row in
            let first = row * parametersPerRow
            let columns = [first + cardIDParameter] + (1..<cardIDParameter).map { first + $0 } + [first + parametersPerRow]
            return "(" + columns.map { "?\($0)" }.joined(separator: ", ") + ")"
        }
        return "INSERT OR ROLLBACK INTO interactions (\(columns)) VALUES " + tuples.joined(separator: ", ")
    }

    /// The columns an event after `received` may change, numbered as in `insertSQL`'s first row so that one binding
    /// serves both statements (the update leaves the other numbers unused). Replacing the whole row instead deleted
    /// and inserted it in the table and both indexes.
    static let updateSQL = """
        UPDATE OR ROLLBACK interactions SET queue = ?7, callback_number = ?13, first_offered_at = ?15,
            answered_at = ?16, ended_at = ?17, wrap_up_ended_at = ?18, agent_id = ?19, wait_ms = ?20, talk_ms = ?21,
            wrap_up_ms = ?22, outcome = ?23, offers = ?24, offers_declined = ?25, offers_missed = ?26, overflows = ?27,
            overflowed_to = ?28, events_through = ?30
        WHERE card_id = ?29
        """

    /// Writes the changes of a card saved before.
    func update(through statement: DirectStatement) throws {
        bindKeyAndChanges(to: statement, row: 0)
        try statement.run()
    }

    /// Binds the card as row `row` of a statement of `insertSQL(rows:)`; the caller runs it.
    func bindInsert(to statement: DirectStatement, row: Int32) {
        let base = row * Self.parametersPerRow
        statement.bind(externalID, at: base + 3)
        statement.bind(tenant, at: base + 4)
        statement.bind(channel, at: base + 5)
        statement.bind(firstQueue, at: base + 6)
        statement.bind(customerID, at: base + 8)
        statement.bind(customerTier, at: base + 9)
        statement.bind(language, at: base + 10)
        statement.bind(priority, at: base + 11)
        statement.bind(ivrData, at: base + 12)
        statement.bind(receivedAt, at: base + 14)
        bindKeyAndChanges(to: statement, row: row)
    }

    /// The row's key and the columns `updateSQL` sets, at their numbers in row `row`.
    private func bindKeyAndChanges(to statement: DirectStatement, row: Int32) {
        let base = row * Self.parametersPerRow
        statement.bind(stream, at: base + 1)
        statement.bind(Int64(bitPattern: contactID), at: base + 2)
        statement.bind(cardID, at: base + Self.cardIDParameter)
        statement.bind(queue, at: base + 7)
        statement.bind(callbackNumber, at: base + 13)
        statement.bind(firstOfferedAt, at: base + 15)
        statement.bind(answeredAt, at: base + 16)
        statement.bind(endedAt, at: base + 17)
        statement.bind(wrapUpEndedAt, at: base + 18)
        statement.bind(agentID, at: base + 19)
        statement.bind(waitMs, at: base + 20)
        statement.bind(talkMs, at: base + 21)
        statement.bind(wrapUpMs, at: base + 22)
        statement.bind(outcome, at: base + 23)
        statement.bind(offers, at: base + 24)
        statement.bind(offersDeclined, at: base + 25)
        statement.bind(offersMissed, at: base + 26)
        statement.bind(overflows, at: base + 27)
        statement.bind(overflowedTo, at: base + 28)
        statement.bind(Int64(bitPattern: eventsThrough), at: base + Self.parametersPerRow)
    }

    static func fetch(cardID: Int64, db: Database) throws -> CallCard? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT \(columns) FROM interactions WHERE card_id = ?", arguments: [cardID]) else { return nil }
        return CallCard(row: row)
    }

    private init(row: Row) {
        cardID = row["card_id"]
        stream = row["stream_id"]
        contactID = UInt64(bitPattern: row["contact_id"])
        externalID = row["external_id"]
        tenant = row["tenant"]
        channel = row["channel"]
        firstQueue = row["first_queue"]
        queue = row["queue"]
        customerID = row["customer_id"]
        customerTier = row["customer_tier"]
        language = row["language"]
        priority = row["priority"]
        ivrData = row["ivr_data"]
        callbackNumber = row["callback_number"]
        receivedAt = row["received_at"]
        firstOfferedAt = row["first_offered_at"]
        answeredAt = row["answered_at"]
        endedAt = row["ended_at"]
        wrapUpEndedAt = row["wrap_up_ended_at"]
        agentID = row["agent_id"]
        waitMs = row["wait_ms"]
        talkMs = row["talk_ms"]
        wrapUpMs = row["wrap_up_ms"]
        outcome = row["outcome"]
        offers = row["offers"]
        offersDeclined = row["offers_declined"]
        offersMissed = row["offers_missed"]
        overflows = row["overflows"]
        overflowedTo = row["overflowed_to"]
        // Rows written before the column existed came under a cursor never held back: no event after it is in them.
        eventsThrough = UInt64(bitPattern: (row["events_through"] as Int64?) ?? 0)
        isSaved = true
    }
}
