import Testing
import RoutingCore
@testable import ACDProtocol

/// Wire requests in (as a script would send them, in JSON), through a real engine, replies out.
@Suite struct RequestTranslationTests {
    var engine: RoutingEngine
    let now = Instant(seconds: 1_800_000_000)

    init() throws {
        engine = try RoutingEngine(rules: RuleSet(tenants: [TenantRules(
            name: "telco", skills: ["billing"], queues: [QueueRules(name: "billing", skills: ["billing": 3])])]))
    }

    private mutating func contact(_ json: String) throws -> Acd_V1_ContactReply {
        let (request, encoding) = try WireCodec.decode(Array(json.utf8), as: Acd_V1_ContactRequest.self)
        #expect(encoding == .json)
        switch try request.action(profile: .unknownCaller) {
        case .command(let command):
            return Acd_V1_ContactReply(requestID: request.requestID, events: engine.handle(command, now: now)[...])
        case .status(let id):
            return Acd_V1_ContactReply(requestID: request.requestID, status: engine.contactStatus(id), id: id)
        }
    }

    private mutating func agent(_ json: String) throws -> Acd_V1_AgentReply {
        let (request, _) = try WireCodec.decode(Array(json.utf8), as: Acd_V1_AgentRequest.self)
        guard case .command(let command) = try request.action() else {
            return Acd_V1_AgentReply(requestID: request.requestID, events: [])
        }
        return Acd_V1_AgentReply(requestID: request.requestID, events: engine.handle(command, now: now)[...])
    }

    private mutating func admin(_ json: String) throws -> Acd_V1_AdminReply {
        let (request, _) = try WireCodec.decode(Array(json.utf8), as: Acd_V1_AdminRequest.self)
        switch try request.action() {
        case .command(let command):
            return Acd_V1_AdminReply(requestID: request.requestID, events: engine.handle(command, now: now)[...])
        case .statistics:
            return Acd_V1_AdminReply(
                requestID: request.requestID, queues: engine.allQueueStatistics(), agents: engine.allAgentStatistics(),
                daemon: .init())
        case .reloadRules, .replayEvents, .storeProgress:
            return Acd_V1_AdminReply(requestID: request.requestID, events: [])
        }
    }

    @Test mutating func aContactIsQueuedOfferedAndReportedThroughTheWire() throws {
        let queued = try contact(#"{"requestId":"c1","submit":{"tenant":"telco","channel":"VOICE","queue":"billing"}}"#)
        #expect(queued.requestID == "c1")
        guard case .queued(let q)? = queued.body else { Issue.record("expected queued, got \(queued)"); return }
        #expect(q.contactID == 1 && q.position == 1 && !q.hasEstimatedWaitSeconds)

        #expect(try admin(#"{"requestId":"a1","addAgent":{"agentId":"ann","name":"Ann","tenant":"telco","skills":{"billing":5}}}"#).body == .ack(.init()))
        #expect(try agent(#"{"requestId":"g1","agentId":"ann","login":{}}"#).body == .ack(.init()))
        #expect(try agent(#"{"requestId":"g2","agentId":"ann","ready":{}}"#).body == .ack(.init()))
        let status = try contact(#"{"requestId":"c2","status":{"contactId":"1"}}"#)
        guard case .status(let s)? = status.body else { Issue.record("expected status, got \(status)"); return }
        #expect(s.phase == "offered" && s.agentID == "ann")
        #expect(try agent(#"{"requestId":"g3","agentId":"ann","accept":{"contactId":"1"}}"#).body == .ack(.init()))

        let stats = try admin(#"{"requestId":"a2","statistics":{}}"#)
        guard case .statistics(let statistics)? = stats.body else { Issue.record("expected statistics"); return }
        #expect(statistics.queues.first?.answered == 1)
        #expect(statistics.agents.first?.state == "busy")
    }

    @Test mutating func refusalsCarryTheCoresCode() throws {
        let reply = try agent(#"{"requestId":"g1","agentId":"ghost","login":{}}"#)
        #expect(reply.body == .error(.with { $0.code = "unknown_agent"; $0.message = "unknown agent 'ghost'" }))
        let wrongQueue = try contact(#"{"requestId":"c1","submit":{"tenant":"telco","channel":"VOICE","queue":"sales"}}"#)
        guard case .error(let error)? = wrongQueue.body else { Issue.record("expected error"); return }
        #expect(error.code == "unknown_queue")
        let unknown = try contact(#"{"requestId":"c2","status":{"contactId":"42"}}"#)
        guard case .error(let missing)? = unknown.body else { Issue.record("expected error"); return }
        #expect(missing.code == "unknown_contact")
    }

    @Test func requestsThatCannotBecomeCommandsAreProtocolErrors() throws {
        let noChannel = try WireCodec.decode(Array(#"{"submit":{"tenant":"t","queue":"q"}}"#.utf8), as: Acd_V1_ContactRequest.self).0
        #expect(throws: ProtocolError.invalidField("channel must be VOICE, CHAT, EMAIL or CALLBACK")) {
            try noChannel.action(profile: .unknownCaller)
        }
        #expect(throws: ProtocolError.emptyBody) { try Acd_V1_AgentRequest.with { $0.agentID = "ann" }.action() }
        #expect(throws: ProtocolError.invalidField("agent_id is required")) { try Acd_V1_AgentRequest.with { $0.login = .init() }.action() }
        #expect(throws: ProtocolError.emptyBody) { try Acd_V1_AdminRequest().action() }
        let heartbeat = try Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.heartbeat = .init() }.action()
        guard case .heartbeat("ann") = heartbeat else { Issue.record("expected heartbeat"); return }
        #expect(throws: ProtocolError.invalidField("store is required")) {
            try Acd_V1_AdminRequest.with { $0.storeProgress = .with { $0.streamID = 7; $0.writtenThrough = 3 } }.action()
        }
        let (report, _) = try WireCodec.decode(
            Array(#"{"storeProgress":{"store":"crm-1","streamId":"7","writtenThrough":"3"}}"#.utf8), as: Acd_V1_AdminRequest.self)
        guard case .storeProgress("crm-1", 7, 3) = try report.action() else { Issue.record("expected the store's progress"); return }
    }
}
