import RoutingCore

/// PUB topics: `all` carries every event once (`acdd crm-store`, loggers); `agent.<agent_id>` what a desktop needs;
/// `contact.<contact_id>` what an IVR needs; `system` what concerns nobody in particular; `stats.<tenant>.<queue>`
/// a queue's statistics once a second, for wallboards. An event about both an
/// agent and a contact (offered, connected, ...) also goes out under both. Nothing is sent under a topic nobody
/// subscribes to (`TopicSubscriptions`).
enum EventTopics {
    static let everything = "all"
    static let system = "system"
    /// The roots of every topic the daemon publishes under; `EventTopic.family` indexes them.
    static let families = [everything, "agent.", "contact.", system, "stats."]

    /// Where a queue's statistics snapshot goes once a second (a `QueueStatistics` message, not an `Event`).
    static func statistics(tenant: String, queue: String) -> String { "stats.\(tenant).\(queue)" }

    /// Calls `body` with each topic an event goes out under, without building any topic's bytes: most of them
    /// go to nobody, and the rest are built once per turn, for the message that carries them.
    static func forEachTopic(of kind: borrowing EventKind, _ body: (EventTopic) -> Void) {
        body(.everything)
        switch kind {
        case .received(let contact, _), .queued(let contact, _, _, _, _), .abandoned(let contact, _, _, _),
             .overflowed(let contact, _, _), .closed(let contact, _, _), .callbackRequested(let contact, _):
            body(.contact(contact))
        case .offered(let contact, let agent, _, _), .accepted(let contact, let agent), .declined(let contact, let agent),
             .offerTimedOut(let contact, let agent), .connected(let contact, let agent, _, _),
             .completed(let contact, let agent, _, _), .wrapUpEnded(let contact, let agent, _):
            body(.agent(agent))
            body(.contact(contact))
        case .agentStateChanged(let agent, _, _), .agentRemoved(let agent), .skillsChanged(let agent, _):
            body(.agent(agent))
        case .agentAdded(let profile):
            body(.agent(profile.id))
        case .rulesReplaced, .commandRejected:
            body(.system)
        }
    }
}

/// One topic of an event, named by its family (an index into `EventTopics.families`) and, on demand, its bytes.
/// A key of the engine's own hash table, so that the outbox finds a topic's message without building the topic's
/// bytes for every event, and tells agents apart as the engine does: by the bytes of their ids (Swift's `==`
/// equates two spellings of one text in different Unicode normal forms, which are two agents and two topics).
enum EventTopic: CheapHashable {
    case everything
    case system
    case agent(AgentID)
    case contact(ContactID)

    var family: Int {
        switch self {
        case .everything: 0
        case .agent: 1
        case .contact: 2
        case .system: 3
        }
    }

    var cheapHash: UInt64 {
        switch self {
        case .everything: 1
        case .system: 2
        case .agent(let agent): agent.cheapHash
        case .contact(let contact): contact.cheapHash
        }
    }

    func isSameKey(as other: EventTopic) -> Bool {
        switch (self, other) {
        case (.everything, .everything), (.system, .system): true
        // Exactly the bytes: the outbox also compares topics without their hashes.
        case (.agent(let mine), .agent(let theirs)): mine.rawValue.hasSameUTF8(as: theirs.rawValue)
        case (.contact(let mine), .contact(let theirs)): mine == theirs
        default: false
        }
    }

    var bytes: [UInt8] {
        switch self {
        case .everything: Array(EventTopics.everything.utf8)
        case .system: Array(EventTopics.system.utf8)
        case .agent(let agent): Array(agent.topic.utf8)
        case .contact(let contact): Array(contact.topic.utf8)
        }
    }
}

extension AgentID {
    var topic: String { "agent.\(rawValue)" }
}

extension ContactID {
    var topic: String { "contact.\(rawValue)" }
}
