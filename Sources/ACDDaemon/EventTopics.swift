import RoutingCore

/// PUB topics: `all` carries every event once (the CRM store, loggers); `agent.<agent_id>` what a desktop needs;
/// `contact.<contact_id>` what an IVR needs; `system` what concerns nobody in particular; `stats.<tenant>.<queue>`
/// a queue's statistics once a second, for wallboards. An event about both an
/// agent and a contact (offered, connected, ...) also goes out under both. Nothing is sent under a topic nobody
/// subscribes to (`TopicSubscriptions`).
enum EventTopics {
    static let everything = "all"
    static let system = "system"
    /// The roots of every topic the daemon publishes under.
    static let families = [everything, "agent.", "contact.", system, "stats."]

    /// Where a queue's statistics snapshot goes once a second (a `QueueStatistics` message, not an `Event`).
    static func statistics(tenant: String, queue: String) -> String { "stats.\(tenant).\(queue)" }

    static func topics(for kind: EventKind) -> [String] {
        switch kind {
        case .received(let contact, _), .queued(let contact, _, _, _, _), .abandoned(let contact, _, _, _),
             .overflowed(let contact, _, _), .closed(let contact, _, _), .callbackRequested(let contact, _):
            return [everything, contact.topic]
        case .offered(let contact, let agent, _, _), .accepted(let contact, let agent), .declined(let contact, let agent),
             .offerTimedOut(let contact, let agent), .connected(let contact, let agent, _, _),
             .completed(let contact, let agent, _, _), .wrapUpEnded(let contact, let agent, _):
            return [everything, agent.topic, contact.topic]
        case .agentStateChanged(let agent, _, _), .agentRemoved(let agent), .skillsChanged(let agent, _):
            return [everything, agent.topic]
        case .agentAdded(let profile):
            return [everything, profile.id.topic]
        case .rulesReplaced, .commandRejected:
            return [everything, system]
        }
    }
}

extension AgentID {
    var topic: String { "agent.\(rawValue)" }
}

extension ContactID {
    var topic: String { "contact.\(rawValue)" }
}
