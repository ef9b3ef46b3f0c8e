import RoutingCore

/// PUB topics: `agent.<agent_id>` for what a desktop needs, `contact.<contact_id>` for what an IVR needs,
/// `system` for the rest. An event about both an agent and a contact (offered, connected, ...) goes out under
/// both. A subscriber to one topic sees a subset of the sequence numbers; a subscriber to everything ("")
/// sees each number once per topic it is published under and can detect gaps.
enum EventTopics {
    static func topics(for kind: EventKind) -> [String] {
        switch kind {
        case .queued(let contact, _, _, _, _), .abandoned(let contact, _, _, _), .overflowed(let contact, _, _),
             .closed(let contact, _, _), .callbackRequested(let contact, _):
            return [contact.topic]
        case .offered(let contact, let agent, _, _), .accepted(let contact, let agent), .declined(let contact, let agent),
             .offerTimedOut(let contact, let agent), .connected(let contact, let agent, _, _),
             .completed(let contact, let agent, _, _), .wrapUpEnded(let contact, let agent, _):
            return [agent.topic, contact.topic]
        case .agentStateChanged(let agent, _, _), .agentAdded(let agent), .agentRemoved(let agent), .skillsChanged(let agent):
            return [agent.topic]
        case .rulesReplaced, .commandRejected:
            return ["system"]
        }
    }
}

extension AgentID {
    var topic: String { "agent.\(rawValue)" }
}

extension ContactID {
    var topic: String { "contact.\(rawValue)" }
}
