import ACDClient
import Testing
import RoutingCore
@testable import ACDProtocol

@Suite struct WireCodecTests {
    @Test func requestsDecodeFromBinaryAndFromJSONAndSayWhich() throws {
        var request = Acd_V1_ContactRequest()
        request.requestID = "r-1"
        request.submit = .with {
            $0.tenant = "telco"
            $0.channel = .voice
            $0.queue = "billing"
            $0.ani = "+34600000001"
            $0.requiredSkills = ["spanish": 5]
            $0.ivrData = ["intent": "invoice"]
            $0.priority = 3
        }
        let binary = WireCodec.encode(request, as: .binary)
        let (fromBinary, binaryEncoding) = try WireCodec.decode(binary, as: Acd_V1_ContactRequest.self)
        #expect(fromBinary == request && binaryEncoding == .binary)

        let json = Array(#"  {"requestId":"r-1","submit":{"tenant":"telco","channel":"VOICE","queue":"billing","ani":"+34600000001","requiredSkills":{"spanish":5},"ivrData":{"intent":"invoice"},"priority":3}}"#.utf8)
        let (fromJSON, jsonEncoding) = try WireCodec.decode(json, as: Acd_V1_ContactRequest.self)
        #expect(fromJSON == request && jsonEncoding == .json)
        let echoed = WireCodec.encode(fromJSON, as: .json)
        #expect(echoed.first == UInt8(ascii: "{"))
    }

    @Test func malformedFramesAreErrorsWithACode() {
        let cases: [[UInt8]] = [
            Array(#"{"requestId": "r", "submit": {"tenant": 5"#.utf8),    // truncated JSON
            Array(#"{"requestId":"r","noSuchField":1}"#.utf8),           // unknown field
            [0xFF, 0xFF, 0xFF, 0xFF],                                      // not protobuf
        ]
        for frame in cases {
            #expect(throws: ProtocolError.self) { try WireCodec.decode(frame, as: Acd_V1_AgentRequest.self) }
            do {
                _ = try WireCodec.decode(frame, as: Acd_V1_AgentRequest.self)
            } catch {
                #expect(error.code == "malformed_message")
            }
        }
    }

    @Test func everyCoreEventMapsAndRoundTripsInBothEncodings() throws {
        var engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(
            name: "t", skills: ["a"],
            queues: [QueueRules(name: "q", maxWaitSeconds: 600, overflow: .ivr, offerTimeoutSeconds: 5, wrapUp: .timed(seconds: 5))])]))
        var events: [Event] = []
        var clock = Instant(seconds: 1_800_000_000)
        func run(_ command: Command) { events += engine.handle(command, now: clock) }
        run(.addAgent(AgentProfile(id: "ann", name: "Ann", tenant: "t", skills: ["a": 3])))
        run(.login("ann"))
        run(.ready("ann"))
        run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        run(.decline("ann", ContactID(1)))
        clock = clock.adding(seconds: 61)
        events += engine.advance(to: clock)
        run(.accept("ann", ContactID(1)))
        run(.complete("ann", ContactID(1)))
        clock = clock.adding(seconds: 5)
        events += engine.advance(to: clock)
        run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        clock = clock.adding(seconds: 5)
        events += engine.advance(to: clock)
        run(.notReady("ann", reason: "lunch"))
        run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        run(.requestCallback(ContactID(3), number: "+3412"))
        run(.abandon(ContactID(3)))
        run(.submit(ContactSubmission(tenant: "t", queue: "q", channel: .voice)))
        clock = clock.adding(seconds: 600)
        events += engine.advance(to: clock)
        run(.setSkills("ann", skills: ["a": 4]))
        run(.replaceRules(RuleSet(tenants: [TenantRules(name: "t", skills: ["a"], queues: [QueueRules(name: "q")])])))
        run(.login("nobody"))

        var kinds: Set<String> = []
        for event in events {
            let wire = Acd_V1_Event(event, streamID: 0x7766_5544_3322_1100)
            #expect(wire.sequence == event.sequence && wire.atMs == event.at.milliseconds)
            // The kind can be read off the bytes without decoding, and the wire form maps back to the core's.
            let bytes = WireCodec.encode(wire, as: .binary)
            #expect(EventKindPeek.fieldNumber(bytes) == (wire.kind.map { Self.fieldNumber(of: $0) }))
            // A client reads an offer's contact and agent off the bytes, as the daemon encodes them.
            let offer = ClientFrames.offer(in: EventEncoder.encode(event, streamID: 0x7766_5544_3322_1100))
            if case .offered(let offered)? = wire.kind {
                #expect(offer?.contactID == offered.contactID && offer?.agentID == offered.agentID)
            } else {
                #expect(offer == nil, "\(event.kind)")
            }
            if case .received = event.kind {} else { #expect(EventKind(wire: wire) == event.kind) }
            kinds.insert(String(describing: wire.kind!).prefix { $0 != "(" }.description)
            let (binary, _) = try WireCodec.decode(WireCodec.encode(wire, as: .binary), as: Acd_V1_Event.self)
            let (json, _) = try WireCodec.decode(WireCodec.encode(wire, as: .json), as: Acd_V1_Event.self)
            #expect(binary == wire && json == wire)
        }
        #expect(kinds.isSuperset(of: [
            "received", "queued", "offered", "declined", "offerTimedOut", "accepted", "connected", "completed", "wrapUpEnded",
            "abandoned", "overflowed", "callbackRequested", "agentStateChanged", "agentAdded", "skillsChanged",
            "rulesReplaced", "commandRejected",
        ]), "\(kinds)")
    }

    /// The field number of each kind, as proto/acd.proto numbers them.
    static func fieldNumber(of kind: Acd_V1_Event.OneOf_Kind) -> Int {
        switch kind {
        case .queued: 3
        case .offered: 4
        case .accepted: 5
        case .declined: 6
        case .offerTimedOut: 7
        case .connected: 8
        case .completed: 9
        case .wrapUpEnded: 10
        case .abandoned: 11
        case .overflowed: 12
        case .closed: 13
        case .callbackRequested: 14
        case .agentStateChanged: 15
        case .agentAdded: 16
        case .agentRemoved: 17
        case .skillsChanged: 18
        case .rulesReplaced: 19
        case .commandRejected: 20
        case .received: 21
        }
    }

    @Test func anUnknownWaitEstimateIsAbsentOnTheWireNotZero() {
        let event = Event(sequence: 1, at: .epoch, kind: .queued(ContactID(9), tenant: "t", queue: "q", position: 4, estimatedWaitSeconds: nil))
        guard case .queued(let queued)? = Acd_V1_Event(event).kind else {
            Issue.record("expected queued")
            return
        }
        #expect(!queued.hasEstimatedWaitSeconds && queued.position == 4)
    }
}
