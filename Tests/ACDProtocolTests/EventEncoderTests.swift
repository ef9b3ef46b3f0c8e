import RoutingCore
import Testing
@testable import ACDProtocol

@Suite struct EventEncoderTests {
    /// Every kind, with zero, negative, empty, absent, non-ASCII and large values where a field allows them.
    static let kinds: [EventKind] = {
        let contact = ContactID(17)
        let big = ContactID(UInt64.max)
        let submission = ContactSubmission(
            tenant: "telco", queue: "billing", channel: .chat,
            profile: CustomerProfile(customerID: "C-1", tier: "gold", lifetimeValue: 10, churnRisk: 0.5, language: "es"),
            requiredSkills: ["spanish": 5], priority: -3, ivrData: ["intent": "invoice"], callbackNumber: "+34600",
            externalID: "sip-1")
        // Longer than 127 bytes: the nested message's length takes two bytes.
        var long = submission
        long.ivrData = ["note": String(repeating: "x", count: 300), "intent": "", "": "empty key"]
        long.requiredSkills = ["spanish": 5, "billing": 0, "vip": 10]
        long.profile = .unknownCaller
        long.priority = 0
        long.channel = .voice
        return [
            .received(contact, submission),
            .received(big, long),
            .queued(contact, tenant: "telco", queue: "billing", position: 3, estimatedWaitSeconds: 95),
            .queued(contact, tenant: "telco", queue: "billing", position: 1, estimatedWaitSeconds: 0),
            .queued(big, tenant: "", queue: "facturaci\u{F3}n", position: Int.max, estimatedWaitSeconds: nil),
            .offered(contact, agent: "ana", queue: "billing", expiresAt: Instant(milliseconds: 1_800_000_043_000)),
            .offered(contact, agent: "jos\u{E9}", queue: "q", expiresAt: Instant(milliseconds: -5)),
            .accepted(contact, agent: "ana"),
            .declined(contact, agent: ""),
            .offerTimedOut(big, agent: "ana"),
            .connected(contact, agent: "ana", queue: "billing", waitMilliseconds: 32_000),
            .connected(contact, agent: "ana", queue: "billing", waitMilliseconds: 0),
            .completed(contact, agent: "ana", talkMilliseconds: 180_000, outcome: .completed),
            .completed(contact, agent: "ana", talkMilliseconds: -1, outcome: .agentDisconnected),
            .wrapUpEnded(contact, agent: "ana", wrapUpMilliseconds: 15_000),
            .abandoned(contact, queue: "billing", waitMilliseconds: 61_000, outcome: .abandoned),
            .abandoned(contact, queue: "billing", waitMilliseconds: 0, outcome: .cancelled),
            .overflowed(contact, from: "billing", to: "general"),
            .overflowed(contact, from: "billing", to: nil),
            .closed(contact, tenant: "telco", queue: "billing"),
            .callbackRequested(contact, number: "+34600000001"),
            // Many times the writer's first scratch size, and a nested length of three bytes.
            .callbackRequested(contact, number: String(repeating: "9", count: 20_000)),
            .agentStateChanged("ana", state: .notReady, reason: "lunch"),
            .agentStateChanged("ana", state: .loggedOut, reason: nil),
            .agentAdded(AgentProfile(id: "ana", name: "Ana", tenant: "telco", team: "red", skills: ["billing": 7])),
            .agentRemoved("ana"),
            .skillsChanged("ana", skills: ["billing": 7, "spanish": 10]),
            .rulesReplaced(tenants: ["telco", "", "bank"]),
            .rulesReplaced(tenants: []),
            .commandRejected(.unknownAgent, message: "unknown agent 'x'"),
        ]
    }()

    @Test(arguments: kinds)
    func decodesToTheSameMessageAsTheGeneratedCode(kind: EventKind) throws {
        for (sequence, at, stream) in [(UInt64(101), Int64(1_800_000_001_000), UInt64(84_120_077)), (0, 0, 0), (.max, -1, .max)] {
            let event = Event(sequence: sequence, at: Instant(milliseconds: at), kind: kind)
            let expected = Acd_V1_Event(event, streamID: stream)
            let decoded = try Acd_V1_Event(serializedBytes: EventEncoder.encode(event, streamID: stream))
            #expect(decoded == expected, "\(kind)")
        }
    }

    /// A scratch too small for most events grows, and gives every event the bytes `encode` gives it.
    @Test func theEncodingScratchGivesTheSameBytesAsEncode() {
        let scratch = EventEncodingScratch(capacity: 16)
        for (index, kind) in Self.kinds.enumerated() {
            let event = Event(sequence: UInt64(index) * 1_000_003, at: Instant(milliseconds: 1_800_000_001_000), kind: kind)
            let bytes = scratch.encode(sequence: event.sequence, at: event.at, kind: event.kind, streamID: 42)
            #expect(Array(bytes) == EventEncoder.encode(event, streamID: 42), "\(kind)")
        }
    }
}
