import GRDB
import RoutingCore

/// A customers-table row, as an import (or `acdd seed-demo`) writes it.
public struct CustomerRecord: Sendable, Hashable {
    public var id: String
    public var name: String
    public var phone: String?
    public var tier: String?
    public var lifetimeValue: Double
    public var churnRisk: Double
    public var language: String?

    public init(
        id: String, name: String, phone: String? = nil, tier: String? = nil, lifetimeValue: Double = 0,
        churnRisk: Double = 0, language: String? = nil
    ) {
        self.id = id
        self.name = name
        self.phone = phone
        self.tier = tier
        self.lifetimeValue = lifetimeValue
        self.churnRisk = churnRisk
        self.language = language
    }
}

extension CRMDatabase {
    /// Inserts or updates customers and agents in one transaction.
    public func importRecords(customers: [CustomerRecord], agents: [AgentProfile]) throws(CRMError) {
        try write { db in
            for customer in customers {
                try db.cachedStatement(sql: """
                    INSERT INTO customers (id, name, phone, tier, lifetime_value, churn_risk, language)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET name = excluded.name, phone = excluded.phone, tier = excluded.tier,
                        lifetime_value = excluded.lifetime_value, churn_risk = excluded.churn_risk, language = excluded.language
                    """).execute(arguments: [
                        customer.id, customer.name, customer.phone, customer.tier, customer.lifetimeValue,
                        customer.churnRisk, customer.language,
                    ])
            }
            for agent in agents {
                try AgentRows.upsert(agent, db: db)
            }
        }
    }
}

/// What the call cards of one daemon run say, for reconciling a run with what a client saw.
public struct CallCardCounts: Sendable {
    public var cards = 0
    public var answered = 0
    public var abandoned = 0
    /// The answered cards' waits added up.
    public var answeredWaitMilliseconds: Int64 = 0
    /// How far the store has written the run's events.
    public var writtenThrough: UInt64 = 0
}

extension CRMDatabase {
    public func callCardCounts(stream: UInt64, receivedSince: Int64) throws(CRMError) -> CallCardCounts {
        try read { db in
            let id = Int64(bitPattern: stream)
            // The run's cards are one range of keys (`CardKey`) in `call_cards`. Read through the view, each card's
            // `stream_id` and `outcome` were looked up by number: 1.7 s for a million cards against 0.6 s.
            let number = try Int64.fetchOne(db, sql: "SELECT number FROM event_streams WHERE stream_id = ?", arguments: [id])
            let row = try number.flatMap { number in
                let keys = CardKey.cardIDs(streamNumber: number)
                return try Row.fetchOne(db, sql: """
                    SELECT count(*) AS cards, count(answered_after) AS answered,
                           coalesce(sum(outcome_name = (SELECT id FROM card_names WHERE name = 'abandoned')), 0) AS abandoned,
                           coalesce(sum(CASE WHEN answered_after IS NOT NULL THEN wait_ms END), 0) AS answered_wait_ms
                    FROM call_cards WHERE card_id BETWEEN ? AND ? AND received_at >= ?
                    """, arguments: [keys.lowerBound, keys.upperBound, receivedSince])
            }
            let written = try Int64.fetchOne(db, sql: "SELECT last_sequence FROM event_cursor WHERE stream_id = ?", arguments: [id]) ?? 0
            return CallCardCounts(
                cards: row?["cards"] ?? 0, answered: row?["answered"] ?? 0, abandoned: row?["abandoned"] ?? 0,
                answeredWaitMilliseconds: row?["answered_wait_ms"] ?? 0, writtenThrough: UInt64(written))
        }
    }
}
