import GRDB
import RoutingCore

/// The `agents` and `agent_skills` rows: written from the admin events, read at start-up to staff the engine.
enum AgentRows {
    static func upsert(_ profile: AgentProfile, db: Database) throws {
        let capacity = profile.capacity
        // Cached: a statement prepared afresh cost the store some 370,000 instructions per agent added, most of it
        // SQLite's parser (75 M for the 200 desktops `acd-bench e2e` staffs; bench/README.md, session 34).
        try db.cachedStatement(sql: """
            INSERT INTO agents (id, name, tenant, team, capacity_voice, capacity_chat, capacity_email, capacity_callback, active)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, tenant = excluded.tenant, team = excluded.team,
                capacity_voice = excluded.capacity_voice, capacity_chat = excluded.capacity_chat,
                capacity_email = excluded.capacity_email, capacity_callback = excluded.capacity_callback, active = 1
            """).execute(arguments: [
                profile.id.rawValue, profile.name, profile.tenant, profile.team,
                capacity?.voice, capacity?.chat, capacity?.email, capacity?.callback,
            ])
        try replaceSkills(of: profile.id.rawValue, with: profile.skills, db: db)
    }

    static func replaceSkills(of agent: String, with skills: [String: Int], db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM agent_skills WHERE agent_id = ?").execute(arguments: [agent])
        let insert = try db.cachedStatement(
            sql: "INSERT INTO agent_skills SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM agents WHERE id = ?)")
        for (skill, level) in skills.sorted(by: { $0.key < $1.key }) {
            // An agent added before the store joined this run has no row: its skills wait for its next `agent_added`.
            try insert.execute(arguments: [agent, skill, level, agent])
        }
    }
}

extension CRMDatabase {
    /// The agents to staff the engine with at start-up: every active row, with its skills.
    public func activeAgents() throws(CRMError) -> [AgentProfile] {
        try read { db in
            var skills: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT agent_id, skill, proficiency FROM agent_skills") {
                skills[row["agent_id"], default: [:]][row["skill"]] = row["proficiency"]
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM agents WHERE active = 1 ORDER BY id").map { row in
                let id: String = row["id"]
                let voice: Int? = row["capacity_voice"]
                return AgentProfile(
                    id: AgentID(id), name: row["name"], tenant: row["tenant"], team: row["team"],
                    skills: skills[id] ?? [:],
                    capacity: voice.map { voice in
                        ChannelCapacity(
                            voice: voice, chat: row["capacity_chat"] ?? 0, email: row["capacity_email"] ?? 0,
                            callback: row["capacity_callback"] ?? 0)
                    })
            }
        }
    }
}
