import ACDProtocol
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
                try AgentRows.upsert(Acd_V1_AgentProfile(agent), db: db)
            }
        }
    }
}
