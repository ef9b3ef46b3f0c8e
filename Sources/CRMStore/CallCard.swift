import GRDB
import RoutingCore

/// One row of `interactions`: what happened to one contact, from its arrival to the end of its wrap-up. A class:
/// the writer changes the cards it holds in place, several times per contact, without copying their strings.
final class CallCard {
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

    /// Whether the card changed since it was last saved.
    var isDirty = false
    /// Whether the card has a row: a later save updates only what can change, and no index.
    var isSaved = false

    init(stream: Int64, contact: ContactID, submission: ContactSubmission, at: Int64) {
        self.stream = stream
        contactID = contact.rawValue
        externalID = submission.externalID
        tenant = submission.tenant
        channel = submission.channel.description
        firstQueue = submission.queue
        queue = submission.queue
        customerID = submission.profile.customerID
        customerTier = submission.profile.tier
        language = submission.profile.language
        priority = Int32(clamping: submission.priority)
        ivrData = submission.ivrData.isEmpty ? nil : IVRDataJSON.encode(submission.ivrData)
        callbackNumber = submission.callbackNumber
        receivedAt = at
    }

    /// Nothing more will happen to the contact: it ended without an agent, or its wrap-up is over.
    var isFinished: Bool {
        guard endedAt != nil else { return false }
        return answeredAt == nil || wrapUpEndedAt != nil || outcome == "agent_disconnected"
    }

    private static let columns = """
        stream_id, contact_id, external_id, tenant, channel, first_queue, queue, customer_id, customer_tier, language,
        priority, ivr_data, callback_number, received_at, first_offered_at, answered_at, ended_at, wrap_up_ended_at,
        agent_id, wait_ms, talk_ms, wrap_up_ms, outcome, offers, offers_declined, offers_missed, overflows, overflowed_to
        """

    static let insertSQL = """
        INSERT OR REPLACE INTO interactions (\(columns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The columns an event after `received` may change. Replacing the whole row instead deleted and inserted it in
    /// the table and all three indexes.
    static let updateSQL = """
        UPDATE interactions SET queue = ?3, callback_number = ?4, first_offered_at = ?5, answered_at = ?6, ended_at = ?7,
            wrap_up_ended_at = ?8, agent_id = ?9, wait_ms = ?10, talk_ms = ?11, wrap_up_ms = ?12, outcome = ?13,
            offers = ?14, offers_declined = ?15, offers_missed = ?16, overflows = ?17, overflowed_to = ?18
        WHERE stream_id = ?1 AND contact_id = ?2
        """

    /// Writes the card: through `insert` (a statement of `insertSQL`) the first time, through `update` (of
    /// `updateSQL`) after.
    func save(insert: DirectStatement, update: DirectStatement) throws {
        if isSaved {
            try saveChanges(with: update)
            return
        }
        insert.bind(stream, at: 1)
        insert.bind(Int64(bitPattern: contactID), at: 2)
        insert.bind(externalID, at: 3)
        insert.bind(tenant, at: 4)
        insert.bind(channel, at: 5)
        insert.bind(firstQueue, at: 6)
        insert.bind(queue, at: 7)
        insert.bind(customerID, at: 8)
        insert.bind(customerTier, at: 9)
        insert.bind(language, at: 10)
        insert.bind(priority, at: 11)
        insert.bind(ivrData, at: 12)
        insert.bind(callbackNumber, at: 13)
        insert.bind(receivedAt, at: 14)
        insert.bind(firstOfferedAt, at: 15)
        insert.bind(answeredAt, at: 16)
        insert.bind(endedAt, at: 17)
        insert.bind(wrapUpEndedAt, at: 18)
        insert.bind(agentID, at: 19)
        insert.bind(waitMs, at: 20)
        insert.bind(talkMs, at: 21)
        insert.bind(wrapUpMs, at: 22)
        insert.bind(outcome, at: 23)
        insert.bind(offers, at: 24)
        insert.bind(offersDeclined, at: 25)
        insert.bind(offersMissed, at: 26)
        insert.bind(overflows, at: 27)
        insert.bind(overflowedTo, at: 28)
        try insert.run()
        isSaved = true
    }

    private func saveChanges(with update: DirectStatement) throws {
        update.bind(stream, at: 1)
        update.bind(Int64(bitPattern: contactID), at: 2)
        update.bind(queue, at: 3)
        update.bind(callbackNumber, at: 4)
        update.bind(firstOfferedAt, at: 5)
        update.bind(answeredAt, at: 6)
        update.bind(endedAt, at: 7)
        update.bind(wrapUpEndedAt, at: 8)
        update.bind(agentID, at: 9)
        update.bind(waitMs, at: 10)
        update.bind(talkMs, at: 11)
        update.bind(wrapUpMs, at: 12)
        update.bind(outcome, at: 13)
        update.bind(offers, at: 14)
        update.bind(offersDeclined, at: 15)
        update.bind(offersMissed, at: 16)
        update.bind(overflows, at: 17)
        update.bind(overflowedTo, at: 18)
        try update.run()
    }

    static func fetch(stream: Int64, contact: UInt64, db: Database) throws -> CallCard? {
        guard let row = try Row.fetchOne(
            db, sql: "SELECT \(columns) FROM interactions WHERE stream_id = ? AND contact_id = ?",
            arguments: [stream, Int64(bitPattern: contact)]) else { return nil }
        return CallCard(row: row)
    }

    private init(row: Row) {
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
        isSaved = true
    }
}
