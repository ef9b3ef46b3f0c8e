import GRDB

/// The CRM database's tables, as versioned migrations. Times are Unix milliseconds (UTC) as the daemon's events
/// carry them; a daemon run is told apart by `stream_id` because contact ids and sequence numbers start again at 1
/// on every start.
enum CRMSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: customers, agents, skills, interactions, event cursor") { db in
            // `revision` rises with every insert or update (see the triggers; an update that sets it itself, as the
            // CRM store's does, must set it above `crm_revision` and raise that too) so the daemon's profile cache
            // can fetch only what changed, whoever changed it.
            try db.execute(sql: """
                CREATE TABLE crm_revision (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
                INSERT INTO crm_revision VALUES (1, 0);

                CREATE TABLE customers (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL DEFAULT '',
                    phone TEXT,
                    tier TEXT,
                    lifetime_value REAL NOT NULL DEFAULT 0 CHECK (lifetime_value >= 0),
                    churn_risk REAL NOT NULL DEFAULT 0 CHECK (churn_risk BETWEEN 0 AND 1),
                    language TEXT,
                    last_agent_id TEXT,
                    revision INTEGER NOT NULL DEFAULT 0
                );
                CREATE UNIQUE INDEX customers_phone ON customers(phone) WHERE phone IS NOT NULL;
                CREATE INDEX customers_revision ON customers(revision);
                CREATE TRIGGER customers_inserted AFTER INSERT ON customers BEGIN
                    UPDATE crm_revision SET value = value + 1;
                    UPDATE customers SET revision = (SELECT value FROM crm_revision) WHERE rowid = NEW.rowid;
                END;
                CREATE TRIGGER customers_updated AFTER UPDATE ON customers WHEN NEW.revision = OLD.revision BEGIN
                    UPDATE crm_revision SET value = value + 1;
                    UPDATE customers SET revision = (SELECT value FROM crm_revision) WHERE rowid = NEW.rowid;
                END;

                -- Deleted customers, so that caches drop them too.
                CREATE TABLE customer_deletions (customer_id TEXT NOT NULL, revision INTEGER NOT NULL);
                CREATE INDEX customer_deletions_revision ON customer_deletions(revision);
                CREATE TRIGGER customers_deleted AFTER DELETE ON customers BEGIN
                    UPDATE crm_revision SET value = value + 1;
                    INSERT INTO customer_deletions VALUES (OLD.id, (SELECT value FROM crm_revision));
                END;

                CREATE TABLE agents (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    team TEXT,
                    capacity_voice INTEGER,
                    capacity_chat INTEGER,
                    capacity_email INTEGER,
                    capacity_callback INTEGER,
                    -- 0 once removed: the row stays for the call cards that name the agent.
                    active INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE agent_skills (
                    agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
                    skill TEXT NOT NULL,
                    proficiency INTEGER NOT NULL CHECK (proficiency BETWEEN 1 AND 10),
                    PRIMARY KEY (agent_id, skill)
                ) WITHOUT ROWID;

                CREATE TABLE interactions (
                    stream_id INTEGER NOT NULL,
                    contact_id INTEGER NOT NULL,
                    external_id TEXT,
                    tenant TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    first_queue TEXT NOT NULL,
                    queue TEXT NOT NULL,
                    customer_id TEXT,
                    customer_tier TEXT,
                    language TEXT,
                    priority INTEGER NOT NULL DEFAULT 0,
                    ivr_data TEXT,
                    callback_number TEXT,
                    received_at INTEGER NOT NULL,
                    first_offered_at INTEGER,
                    answered_at INTEGER,
                    ended_at INTEGER,
                    wrap_up_ended_at INTEGER,
                    agent_id TEXT,
                    wait_ms INTEGER,
                    talk_ms INTEGER,
                    wrap_up_ms INTEGER,
                    outcome TEXT,
                    offers INTEGER NOT NULL DEFAULT 0,
                    offers_declined INTEGER NOT NULL DEFAULT 0,
                    offers_missed INTEGER NOT NULL DEFAULT 0,
                    overflows INTEGER NOT NULL DEFAULT 0,
                    overflowed_to TEXT,
                    PRIMARY KEY (stream_id, contact_id)
                );
                CREATE INDEX interactions_customer ON interactions(customer_id, received_at);
                CREATE INDEX interactions_received ON interactions(received_at);

                -- How far the CRM store has written each daemon run's event stream.
                CREATE TABLE event_cursor (
                    stream_id INTEGER PRIMARY KEY NOT NULL,
                    last_sequence INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: call cards keyed by an integer card id") { db in
            // The composite key (stream_id, contact_id) was a B-tree of its own beside the table, and every
            // insert went through it too: keyed by `card_id` (see `CardKey`), a card is one append to the table.
            // The customer index skips unidentified callers, who have no customer to look a history up by.
            try db.execute(sql: """
                CREATE TABLE event_streams (
                    number INTEGER PRIMARY KEY,
                    stream_id INTEGER NOT NULL UNIQUE
                );
                INSERT INTO event_streams (stream_id)
                    SELECT stream_id FROM interactions GROUP BY stream_id ORDER BY min(received_at);
                INSERT OR IGNORE INTO event_streams (stream_id) SELECT stream_id FROM event_cursor ORDER BY updated_at;

                CREATE TABLE call_cards (
                    card_id INTEGER PRIMARY KEY,
                    stream_id INTEGER NOT NULL,
                    contact_id INTEGER NOT NULL,
                    external_id TEXT,
                    tenant TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    first_queue TEXT NOT NULL,
                    queue TEXT NOT NULL,
                    customer_id TEXT,
                    customer_tier TEXT,
                    language TEXT,
                    priority INTEGER NOT NULL DEFAULT 0,
                    ivr_data TEXT,
                    callback_number TEXT,
                    received_at INTEGER NOT NULL,
                    first_offered_at INTEGER,
                    answered_at INTEGER,
                    ended_at INTEGER,
                    wrap_up_ended_at INTEGER,
                    agent_id TEXT,
                    wait_ms INTEGER,
                    talk_ms INTEGER,
                    wrap_up_ms INTEGER,
                    outcome TEXT,
                    offers INTEGER NOT NULL DEFAULT 0,
                    offers_declined INTEGER NOT NULL DEFAULT 0,
                    offers_missed INTEGER NOT NULL DEFAULT 0,
                    overflows INTEGER NOT NULL DEFAULT 0,
                    overflowed_to TEXT
                );
                INSERT INTO call_cards
                    SELECT (s.number << \(CardKey.contactBits)) | i.contact_id, i.*
                    FROM interactions i JOIN event_streams s USING (stream_id)
                    ORDER BY i.stream_id, i.contact_id;
                DROP TABLE interactions;
                ALTER TABLE call_cards RENAME TO interactions;
                CREATE INDEX interactions_customer ON interactions(customer_id, received_at) WHERE customer_id IS NOT NULL;
                CREATE INDEX interactions_received ON interactions(received_at);
                """)
        }
        migrator.registerMigration("v3: the last event in each call card, and how far the store has applied") { db in
            // The store saves a card in progress only now and then (`CallCardWriter.CardHolding`), so its cursor
            // may stay behind events some cards already show. `events_through` tells which, card by card, and
            // `applied_sequence` up to where to look: a store starting again skips them instead of counting them
            // twice. NULL in rows written before: the cursor was never held back then.
            try db.execute(sql: """
                ALTER TABLE interactions ADD COLUMN events_through INTEGER;
                ALTER TABLE event_cursor ADD COLUMN applied_sequence INTEGER;
                """)
        }
        migrator.registerMigration("v4: call cards stored compactly, read through the interactions view") { db in
            // SQLite's part of writing a card was half of the store's instructions (more of its CPU, with the
            // kernel's share of the pages written), and it grows with the bytes and columns of the row
            // (`bench/row-layouts.sh`: 10,716 instructions a row for the v3 table, 8,092 for this one; 149 bytes of
            // the database a card, 81). So `call_cards` keeps names as numbers into `card_names` (they take few
            // values: tenants, channels, queues, tiers, languages, agents, outcomes), times after
            // `received_at` as milliseconds after it, no `stream_id` or `contact_id` (both are in `card_id`), and no
            // declared types or NOT NULL (each is a check on every row inserted; only the store writes the table).
            // `interactions`, a view, shows every card with the columns and values the v3 table had.
            let names = ["tenant", "channel", "first_queue", "queue", "customer_tier", "language", "agent_id", "outcome",
                         "overflowed_to"]
            try db.execute(sql: """
                CREATE TABLE card_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
                INSERT INTO card_names (name)
                    SELECT name FROM (\(names.map { "SELECT \($0) AS name FROM interactions" }.joined(separator: " UNION ")))
                    WHERE name IS NOT NULL ORDER BY name;

                CREATE TABLE call_cards (
                    card_id INTEGER PRIMARY KEY,
                    external_id, tenant_name, channel_name, first_queue_name, queue_name, customer_id, customer_tier_name,
                    language_name, priority, ivr_data, callback_number, received_at, first_offered_after, answered_after,
                    ended_after, wrap_up_ended_after, agent_name, wait_ms, talk_ms, wrap_up_ms, outcome_name, offers,
                    offers_declined, offers_missed, overflows, overflowed_to_name, events_through
                );
                INSERT INTO call_cards
                    SELECT card_id, external_id, \(names[0..<4].map(Self.nameNumber).joined(separator: ", ")), customer_id,
                        \(names[4..<6].map(Self.nameNumber).joined(separator: ", ")), priority, ivr_data, callback_number,
                        received_at, first_offered_at - received_at, answered_at - received_at, ended_at - received_at,
                        wrap_up_ended_at - received_at, \(Self.nameNumber("agent_id")), wait_ms, talk_ms, wrap_up_ms,
                        \(Self.nameNumber("outcome")), offers, offers_declined, offers_missed, overflows,
                        \(Self.nameNumber("overflowed_to")), events_through
                    FROM interactions ORDER BY card_id;
                DROP TABLE interactions;
                CREATE INDEX interactions_customer ON call_cards(customer_id, received_at) WHERE customer_id IS NOT NULL;
                CREATE INDEX interactions_received ON call_cards(received_at);

                CREATE VIEW interactions AS SELECT
                    card_id,
                    (SELECT stream_id FROM event_streams WHERE number = card_id >> \(CardKey.contactBits)) AS stream_id,
                    card_id & \(CardKey.contactMask) AS contact_id,
                    external_id,
                    \(Self.name("tenant")), \(Self.name("channel")), \(Self.name("first_queue")), \(Self.name("queue")),
                    customer_id,
                    \(Self.name("customer_tier")), \(Self.name("language")),
                    priority, ivr_data, callback_number, received_at,
                    received_at + first_offered_after AS first_offered_at,
                    received_at + answered_after AS answered_at,
                    received_at + ended_after AS ended_at,
                    received_at + wrap_up_ended_after AS wrap_up_ended_at,
                    (SELECT name FROM card_names WHERE id = agent_name) AS agent_id,
                    wait_ms, talk_ms, wrap_up_ms,
                    \(Self.name("outcome")),
                    offers, offers_declined, offers_missed, overflows,
                    \(Self.name("overflowed_to")),
                    events_through
                FROM call_cards;
                """)
        }
        return migrator
    }

    /// The v3 column `column` as its number in `card_names`, for migration v4.
    private static func nameNumber(_ column: String) -> String {
        "(SELECT id FROM card_names WHERE name = \(column))"
    }

    /// The `interactions` view's column `column`, read from `call_cards`' `<column>_name`.
    private static func name(_ column: String) -> String {
        "(SELECT name FROM card_names WHERE id = \(column)_name) AS \(column)"
    }
}
