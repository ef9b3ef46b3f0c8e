import ACDProtocol
import Foundation
import GRDB
import RoutingCore

/// One row of `interactions`: what happened to one contact, from its arrival to the end of its wrap-up.
struct CallCard {
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

    init(stream: Int64, received: Acd_V1_ContactReceived, at: Int64) {
        self.stream = stream
        contactID = received.contactID
        externalID = received.externalID.nilIfEmpty
        tenant = received.tenant
        channel = Channel(wireValue: received.channel)?.description ?? "unspecified"
        firstQueue = received.queue
        queue = received.queue
        customerID = received.customerID.nilIfEmpty
        customerTier = received.customerTier.nilIfEmpty
        language = received.language.nilIfEmpty
        priority = received.priority
        ivrData = received.ivrData.isEmpty ? nil : Self.json(received.ivrData)
        callbackNumber = received.callbackNumber.nilIfEmpty
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

    func save(_ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO interactions (\(Self.columns))
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let values: [(any DatabaseValueConvertible)?] = [
            stream, Int64(bitPattern: contactID), externalID, tenant, channel, firstQueue, queue, customerID,
            customerTier, language, priority, ivrData, callbackNumber, receivedAt, firstOfferedAt, answeredAt, endedAt,
            wrapUpEndedAt, agentID, waitMs, talkMs, wrapUpMs, outcome, offers, offersDeclined, offersMissed, overflows,
            overflowedTo,
        ]
        try statement.execute(arguments: StatementArguments(values))
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
    }

    private static func json(_ data: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(data)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
