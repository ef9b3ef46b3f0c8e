import GRDB
import RoutingCore

/// The `agents` and `agent_skills` rows: written from the admin events, read at start-up to staff the engine.
enum AgentRows {
    static func upsert(_ profile: AgentProfile, db: Database) throws {
        let capacity = profile.capacity
        try db.execute(sql: """
            INSERT INTO agents (id, name, tenant, team, capacity_voice, capacity_chat, capacity_email, capacity_callback, active)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, tenant = excluded.tenant, team = excluded.team,
                capacity_voice = excluded.capacity_voice, capacity_chat = excluded.capacity_chat,
                capacity_email = excluded.capacity_email, capacity_callback = excluded.capacity_callback, active = 1
            """, arguments: [
                profile.id.rawValue, profile.name, profile.tenant, profile.team,
                capacity?.voice, capacity?.chat, capacity?.email, capacity?.callback,
            ])
        try replaceSkills(of: profile.id.rawValue, with: profile.skills, db: db)
    }

    static func replaceSkills(of agent: String, with skills: [String: Int], db: Database) throws {
        try db.execute(sql: "DELETE FROM agent_skills WHERE agent_id = ?", arguments: [agent])
        for (skill, level) in skills.sorted(by: { $0.key < $1.key }) {
            // An agent added before the store joined this run has no row: its skills wait for its next `agent_added`.
            try db.execute(
                sql: "INSERT INTO agent_skills SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM agents WHERE id = ?)",
                arguments: [agent, skill, level, agent])
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
