import ACDProtocol
import Foundation
import GRDB

/// Writes the daemon's event stream into the CRM database: call cards (`interactions`), agents and their skills,
/// customers' last agent, and the stream cursor, all in one transaction per batch. The cursor makes writing
/// idempotent: an event at or below it is skipped, so a batch replayed after a crash or a reconnect is not
/// written twice.
public final class CallCardWriter {
    public let database: CRMDatabase
    /// The daemon run being followed, and the sequence number written through in it.
    public private(set) var stream: UInt64 = 0
    public private(set) var writtenThrough: UInt64 = 0
    /// Events that named a contact whose card was never started (its `received` event came before the cursor of
    /// a run the store joined late). Counted, not written.
    public private(set) var orphanEvents = 0

    /// Cards of contacts still in progress, so that each event does not read its card back.
    private var openCards: [UInt64: CallCard] = [:]

    public init(database: CRMDatabase) {
        self.database = database
    }

    /// Starts following `stream`: returns the sequence number already written for it (0 for a new run).
    public func follow(stream: UInt64) throws(CRMError) -> UInt64 {
        if stream == self.stream { return writtenThrough }
        let written = try database.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT last_sequence FROM event_cursor WHERE stream_id = ?", arguments: [Int64(bitPattern: stream)])
        }
        self.stream = stream
        writtenThrough = UInt64(written ?? 0)
        openCards.removeAll()
        return writtenThrough
    }

    /// Writes `events` of the followed stream, which must continue it without a gap (the caller fetches missing
    /// ones first); those at or below `writtenThrough` are skipped.
    public func write(_ events: [Acd_V1_Event]) throws(CRMError) {
        let fresh = events.filter { $0.sequence > writtenThrough }
        guard let last = fresh.last else { return }
        precondition(fresh.first!.sequence == writtenThrough + 1, "event \(fresh.first!.sequence) leaves a gap after \(writtenThrough)")
        let stream = Int64(bitPattern: self.stream)
        var orphans = 0
        do {
            try database.pool.write { db in
                var changed: Set<UInt64> = []
                for event in fresh {
                    if try apply(event, stream: stream, db: db, changed: &changed) == false { orphans += 1 }
                }
                for id in changed {
                    try openCards[id]!.save(db)
                    if openCards[id]!.isFinished { openCards[id] = nil }
                }
                try db.execute(sql: """
                    INSERT INTO event_cursor (stream_id, last_sequence, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(stream_id) DO UPDATE SET last_sequence = excluded.last_sequence, updated_at = excluded.updated_at
                    """, arguments: [stream, Int64(last.sequence), last.atMs])
            }
        } catch {
            // The transaction rolled back: the cards are what the database and the unwritten events say.
            openCards.removeAll()
            throw CRMError(code: "crm_write_failed", message: "writing events \(fresh.first!.sequence)...\(last.sequence) failed: \(error)")
        }
        writtenThrough = last.sequence
        orphanEvents += orphans
    }

    /// Moves the cursor over events that can no longer be had (they left the daemon's replay buffer), so that
    /// writing resumes after them.
    public func skipLost(through sequence: UInt64, at: Int64) throws(CRMError) {
        guard sequence > writtenThrough else { return }
        let stream = Int64(bitPattern: self.stream)
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO event_cursor (stream_id, last_sequence, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(stream_id) DO UPDATE SET last_sequence = excluded.last_sequence, updated_at = excluded.updated_at
                """, arguments: [stream, Int64(sequence), at])
        }
        writtenThrough = sequence
    }

    /// Applies one event; false when it names a contact without a card.
    private func apply(_ event: Acd_V1_Event, stream: Int64, db: Database, changed: inout Set<UInt64>) throws -> Bool {
        let at = event.atMs
        switch event.kind {
        case .received(let received)?:
            openCards[received.contactID] = CallCard(stream: stream, received: received, at: at)
            changed.insert(received.contactID)
        case .queued(let queued)?:
            return try update(queued.contactID, db, &changed) { _ in }
        case .offered(let offered)?:
            return try update(offered.contactID, db, &changed) { card in
                card.offers += 1
                if card.firstOfferedAt == nil { card.firstOfferedAt = at }
            }
        case .declined(let declined)?:
            return try update(declined.contactID, db, &changed) { $0.offersDeclined += 1 }
        case .offerTimedOut(let missed)?:
            return try update(missed.contactID, db, &changed) { $0.offersMissed += 1 }
        case .accepted(let accepted)?:
            return try update(accepted.contactID, db, &changed) { _ in }
        case .connected(let connected)?:
            let known = try update(connected.contactID, db, &changed) { card in
                card.answeredAt = at
                card.agentID = connected.agentID
                card.queue = connected.queue
                card.waitMs = connected.waitMs
            }
            if known, let customer = openCards[connected.contactID]?.customerID {
                try db.cachedStatement(sql: "UPDATE customers SET last_agent_id = ? WHERE id = ? AND last_agent_id IS NOT ?")
                    .execute(arguments: [connected.agentID, customer, connected.agentID])
            }
            return known
        case .completed(let completed)?:
            return try update(completed.contactID, db, &changed) { card in
                card.endedAt = at
                card.talkMs = completed.talkMs
                card.outcome = completed.outcome
            }
        case .wrapUpEnded(let ended)?:
            return try update(ended.contactID, db, &changed) { card in
                card.wrapUpEndedAt = at
                card.wrapUpMs = ended.wrapUpMs
            }
        case .abandoned(let abandoned)?:
            return try update(abandoned.contactID, db, &changed) { card in
                card.endedAt = at
                card.queue = abandoned.queue
                card.waitMs = abandoned.waitMs
                card.outcome = abandoned.outcome
            }
        case .overflowed(let overflowed)?:
            return try update(overflowed.contactID, db, &changed) { card in
                card.overflows += 1
                card.overflowedTo = overflowed.toQueue.isEmpty ? "ivr" : overflowed.toQueue
                if overflowed.toQueue.isEmpty {
                    card.endedAt = at
                    card.outcome = "overflowed_to_ivr"
                    card.waitMs = at - card.receivedAt
                } else {
                    card.queue = overflowed.toQueue
                }
            }
        case .closed(let closed)?:
            return try update(closed.contactID, db, &changed) { card in
                card.endedAt = at
                card.outcome = "closed"
            }
        case .callbackRequested(let callback)?:
            return try update(callback.contactID, db, &changed) { $0.callbackNumber = callback.number }
        case .agentAdded(let profile)?:
            try AgentRows.upsert(profile, db: db)
        case .agentRemoved(let ref)?:
            try db.execute(sql: "UPDATE agents SET active = 0 WHERE id = ?", arguments: [ref.agentID])
        case .skillsChanged(let skills)?:
            try AgentRows.replaceSkills(of: skills.agentID, with: skills.skills, db: db)
        case .agentStateChanged?, .rulesReplaced?, .commandRejected?, nil:
            break
        }
        return true
    }

    private func update(_ id: UInt64, _ db: Database, _ changed: inout Set<UInt64>, _ change: (inout CallCard) -> Void) throws -> Bool {
        if openCards[id] == nil {
            guard let card = try CallCard.fetch(stream: Int64(bitPattern: stream), contact: id, db: db) else { return false }
            openCards[id] = card
        }
        change(&openCards[id]!)
        changed.insert(id)
        return true
    }
}
