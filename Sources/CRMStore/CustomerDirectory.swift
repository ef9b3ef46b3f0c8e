import GRDB
import RoutingCore

/// The routing thread's copy of the customers table: profiles by customer id and by phone (ANI). Looking a caller
/// up never touches the disk; the copy is refreshed from the table's revision counter by `CustomerDirectoryFeed`.
public struct CustomerDirectory: Sendable {
    private struct Entry: Sendable {
        var profile: CustomerProfile
        var phone: String?
    }

    private var byID: [String: Entry] = [:]
    private var idByPhone: [String: String] = [:]
    /// The highest customers revision applied so far.
    public private(set) var revision: Int64 = 0

    public init() {}

    public var count: Int { byID.count }

    /// The caller's profile: by customer id first, then by ANI. Nil for an unknown caller.
    public func profile(customerID: String?, ani: String?) -> CustomerProfile? {
        if let customerID, !customerID.isEmpty, let entry = byID[customerID] { return entry.profile }
        if let ani, !ani.isEmpty, let id = idByPhone[ani] { return byID[id]?.profile }
        return nil
    }

    public mutating func apply(_ changes: CustomerChanges) {
        for row in changes.changed {
            // Rows come from the customers table: their profile always names the customer.
            let id = row.profile.customerID!
            if let old = byID[id]?.phone, idByPhone[old] == id { idByPhone[old] = nil }
            byID[id] = Entry(profile: row.profile, phone: row.phone)
            if let phone = row.phone { idByPhone[phone] = id }
        }
        for id in changes.deleted {
            if let phone = byID.removeValue(forKey: id)?.phone, idByPhone[phone] == id { idByPhone[phone] = nil }
        }
        revision = max(revision, changes.revision)
    }
}

/// Customers inserted, updated or deleted after a revision.
public struct CustomerChanges: Sendable {
    public struct Row: Sendable {
        public var profile: CustomerProfile
        public var phone: String?
    }

    public var changed: [Row] = []
    public var deleted: [String] = []
    public var revision: Int64 = 0

    public var isEmpty: Bool { changed.isEmpty && deleted.isEmpty }
}

extension CRMDatabase {
    /// Every customer row changed after `revision`, and the ids deleted since; the whole table when it is 0.
    public func customerChanges(since revision: Int64) throws(CRMError) -> CustomerChanges {
        try read { db in
            var changes = CustomerChanges()
            changes.revision = try Int64.fetchOne(db, sql: "SELECT value FROM crm_revision") ?? 0
            let rows = try GRDB.Row.fetchCursor(db, sql: """
                SELECT id, phone, tier, lifetime_value, churn_risk, language, last_agent_id FROM customers
                WHERE revision > ?
                """, arguments: [revision])
            while let row = try rows.next() {
                let lastAgent: String? = row["last_agent_id"]
                changes.changed.append(CustomerChanges.Row(
                    profile: CustomerProfile(
                        customerID: row["id"], tier: row["tier"], lifetimeValue: row["lifetime_value"],
                        churnRisk: row["churn_risk"], language: row["language"], lastAgent: lastAgent.map { AgentID($0) }),
                    phone: row["phone"]))
            }
            changes.deleted = try String.fetchAll(
                db, sql: "SELECT customer_id FROM customer_deletions WHERE revision > ?", arguments: [revision])
            return changes
        }
    }
}
