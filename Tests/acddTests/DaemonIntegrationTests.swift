import ACDClient
@testable import ACDDaemon
import ACDProtocol
import Foundation
import RoutingCore
import SwiftProtobuf
import Testing
import ZeroMQ

/// `acdd run` as a user starts it, on loopback ports the system picks, driven over real ZeroMQ sockets.
final class RunningDaemon {
    let process = Process()
    private(set) var endpoints: [String: String] = [:]
    /// The first line the process printed.
    private(set) var banner = ""

    init(_ extraArguments: [String] = []) throws {
        try start(["run", "--contacts", "tcp://127.0.0.1:*", "--agents", "tcp://127.0.0.1:*",
                   "--events", "tcp://127.0.0.1:*", "--admin", "tcp://127.0.0.1:*", "--log-level", "warning"] + extraArguments)
        endpoints = ListeningBanner.endpoints(banner)
    }

    /// Any other long-running subcommand (`crm-store`), started with exactly these arguments.
    init(command arguments: [String]) throws {
        try start(arguments)
    }

    private func start(_ arguments: [String]) throws {
        process.executableURL = CommandLine.acdd
        process.currentDirectoryURL = CommandLine.repositoryRoot
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = [UInt8]()
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { line.append(byte) }
        banner = String(decoding: line, as: UTF8.self)
    }

    /// SIGTERM, then the exit status; -1 if it has not exited 15 s later (it is then killed).
    func stop() -> Int32 {
        process.terminate()
        for _ in 0..<1500 where process.isRunning { usleep(10_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    /// SIGKILL: a crash, nothing flushed.
    func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct Client {
    let socket: ZMQSocket

    init(_ context: ZMQContext, _ endpoint: String) throws {
        socket = try ZMQSocket(context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoint)
    }

    func call<Reply: SwiftProtobuf.Message>(_ request: some SwiftProtobuf.Message, as encoding: WireEncoding = .binary, reply: Reply.Type) throws -> Reply {
        try call(raw: WireCodec.encode(request, as: encoding), reply: reply)
    }

    func call<Reply: SwiftProtobuf.Message>(raw payload: [UInt8], reply: Reply.Type) throws -> Reply {
        try socket.send([payload])
        guard try socket.waitForMessage(timeout: 5_000), let frames = try socket.receive() else {
            throw ProtocolError(code: "timeout", message: "no reply from acdd")
        }
        return try WireCodec.decode(frames.last!, as: Reply.self).0
    }
}

@Suite(.serialized) struct DaemonIntegrationTests {
    @Test func aContactGoesFromTheIVRToTheSubscribedDesktopAndBack() throws {
        let daemon = try RunningDaemon(["--rules", "routing-rules/default.yaml"])
        #expect(Set(daemon.endpoints.keys) == ["contacts", "agents", "events", "admin"])
        let context = try ZMQContext()
        let ivr = try Client(context, daemon.endpoints["contacts"]!)
        let desktop = try Client(context, daemon.endpoints["agents"]!)
        let admin = try Client(context, daemon.endpoints["admin"]!)
        let events = try ZMQSocket(context, type: .subscriber)
        try events.setLinger(milliseconds: 0)
        try events.subscribe("agent.ann")
        try events.connect(daemon.endpoints["events"]!)

        let added = try admin.call(Acd_V1_AdminRequest.with {
            $0.requestID = "a1"
            $0.addAgent = .with { $0.agentID = "ann"; $0.name = "Ann"; $0.tenant = "default"; $0.skills = ["general": 6] }
        }, reply: Acd_V1_AdminReply.self)
        #expect(added.requestID == "a1" && added.body == .ack(.init()))
        let login = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.login = .init() }, reply: Acd_V1_AgentReply.self)
        #expect(login.body == .ack(.init()))

        // The subscription reaches the publisher asynchronously: toggle presence until ann's events arrive.
        var subscribed = false
        for _ in 0..<100 where !subscribed {
            _ = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.notReady = .with { $0.reason = "warming" } }, reply: Acd_V1_AgentReply.self)
            _ = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.ready = .init() }, reply: Acd_V1_AgentReply.self)
            subscribed = try events.waitForMessage(timeout: 20)
        }
        #expect(subscribed)
        while try events.receive(dontWait: true) != nil {}

        // An IVR script speaks JSON; the reply comes back in JSON.
        let submit = #"{"requestId":"c1","submit":{"tenant":"default","channel":"VOICE","queue":"general","ani":"+34600000001"}}"#
        try ivr.socket.send([Array(submit.utf8)])
        #expect(try ivr.socket.waitForMessage(timeout: 5_000))
        let replyFrame = try #require(try ivr.socket.receive()?.last)
        #expect(replyFrame.first == UInt8(ascii: "{"))
        let (reply, _) = try WireCodec.decode(replyFrame, as: Acd_V1_ContactReply.self)
        guard case .queued(let queued)? = reply.body else { Issue.record("expected queued, got \(reply)"); return }

        var offer: Acd_V1_ContactOffered?
        while offer == nil, try events.waitForMessage(timeout: 5_000) {
            let frames = try #require(try events.receive())
            #expect(frames[0] == Array("agent.ann".utf8))
            for frame in try publishedEvents(frames) {
                if case .offered(let offered)? = try WireCodec.decode(frame, as: Acd_V1_Event.self).0.kind { offer = offered }
            }
        }
        #expect(offer?.contactID == queued.contactID && offer?.queue == "general")

        let accept = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.accept = .with { $0.contactID = queued.contactID } }, reply: Acd_V1_AgentReply.self)
        #expect(accept.body == .ack(.init()))
        let complete = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.complete = .with { $0.contactID = queued.contactID } }, reply: Acd_V1_AgentReply.self)
        #expect(complete.body == .ack(.init()))

        let stats = try admin.call(Acd_V1_AdminRequest.with { $0.statistics = .with { $0.tenant = "default" } }, reply: Acd_V1_AdminReply.self)
        guard case .statistics(let statistics)? = stats.body else { Issue.record("expected statistics"); return }
        #expect(statistics.queues.first { $0.queue == "general" }?.answered == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func aSilentDesktopIsLoggedOutAndItsOfferGoesBackToTheQueue() throws {
        let daemon = try RunningDaemon(["--heartbeat-timeout", "1"])
        let context = try ZMQContext()
        let ivr = try Client(context, daemon.endpoints["contacts"]!)
        let desktop = try Client(context, daemon.endpoints["agents"]!)
        let admin = try Client(context, daemon.endpoints["admin"]!)
        let early = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.heartbeat = .init() }, reply: Acd_V1_AgentReply.self)
        guard case .error(let notLoggedIn)? = early.body else { Issue.record("expected an error"); return }
        #expect(notLoggedIn.code == "agent_not_logged_in")

        _ = try admin.call(Acd_V1_AdminRequest.with {
            $0.addAgent = .with { $0.agentID = "ann"; $0.name = "Ann"; $0.tenant = "default"; $0.skills = ["general": 6] }
        }, reply: Acd_V1_AdminReply.self)
        _ = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.login = .init() }, reply: Acd_V1_AgentReply.self)
        _ = try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ann"; $0.ready = .init() }, reply: Acd_V1_AgentReply.self)
        let submitted = try ivr.call(Acd_V1_ContactRequest.with {
            $0.submit = .with { $0.tenant = "default"; $0.queue = "general"; $0.channel = .voice }
        }, reply: Acd_V1_ContactReply.self)
        guard case .queued(let queued)? = submitted.body else { Issue.record("expected queued"); return }

        // The desktop now stays silent: within a few seconds the daemon logs ann out and the call is queued again.
        var phase = ""
        for _ in 0..<40 where phase != "queued" {
            usleep(100_000)
            let status = try ivr.call(Acd_V1_ContactRequest.with { $0.status = .with { $0.contactID = queued.contactID } }, reply: Acd_V1_ContactReply.self)
            if case .status(let s)? = status.body { phase = s.phase }
        }
        #expect(phase == "queued")
        let stats = try admin.call(Acd_V1_AdminRequest.with { $0.statistics = .init() }, reply: Acd_V1_AdminReply.self)
        guard case .statistics(let statistics)? = stats.body else { Issue.record("expected statistics"); return }
        #expect(statistics.agents.first { $0.agentID == "ann" }?.state == "logged_out")
        #expect(daemon.stop() == 0)
    }

    @Test func badInputGetsAnErrorReplyAndTheDaemonCarriesOn() throws {
        let daemon = try RunningDaemon()
        let context = try ZMQContext()
        let ivr = try Client(context, daemon.endpoints["contacts"]!)
        let desktop = try Client(context, daemon.endpoints["agents"]!)

        func errorCode<R: SwiftProtobuf.Message>(_ reply: R) -> String? {
            switch reply {
            case let r as Acd_V1_ContactReply: if case .error(let e)? = r.body { return e.code }
            case let r as Acd_V1_AgentReply: if case .error(let e)? = r.body { return e.code }
            default: break
            }
            return nil
        }
        #expect(errorCode(try ivr.call(raw: [0xFF, 0x00, 0x13], reply: Acd_V1_ContactReply.self)) == "malformed_message")
        #expect(errorCode(try ivr.call(raw: Array(#"{"submit": {"tenant": 7}"#.utf8), reply: Acd_V1_ContactReply.self)) == "malformed_message")
        #expect(errorCode(try ivr.call(Acd_V1_ContactRequest.with { $0.submit = .with { $0.tenant = "default"; $0.queue = "general" } }, reply: Acd_V1_ContactReply.self)) == "invalid_field")
        #expect(errorCode(try ivr.call(Acd_V1_ContactRequest.with { $0.submit = .with { $0.tenant = "default"; $0.queue = "nope"; $0.channel = .voice } }, reply: Acd_V1_ContactReply.self)) == "unknown_queue")
        #expect(errorCode(try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = "ghost"; $0.ready = .init() }, reply: Acd_V1_AgentReply.self)) == "unknown_agent")
        #expect(errorCode(try desktop.call(Acd_V1_AgentRequest(), reply: Acd_V1_AgentReply.self)) == "invalid_field")
        // A message type the endpoint does not know (a field of another request) is malformed JSON for it.
        #expect(errorCode(try ivr.call(raw: Array(#"{"transfer": {"contactId": "1"}}"#.utf8), reply: Acd_V1_ContactReply.self)) == "malformed_message")
        #expect(errorCode(try ivr.call(Acd_V1_ContactRequest.with { $0.submit = .with { $0.tenant = "default"; $0.queue = "general"; $0.channel = .voice; $0.priority = 1000 } }, reply: Acd_V1_ContactReply.self)) == "field_out_of_range")
        #expect(errorCode(try ivr.call(raw: Array(repeating: 0x0A, count: 70_000), reply: Acd_V1_ContactReply.self)) == "message_too_large")

        let session = try DaemonSession(daemon)
        try session.addAgent("ann")
        #expect(errorCode(try session.agent("ann", .accept(.with { $0.contactID = 1 }))) == "unknown_contact")
        try session.agent("ann", .login(.init()))
        #expect(errorCode(try session.agent("ann", .login(.init()))) == "agent_already_logged_in")
        try session.agent("ann", .ready(.init()))
        let offered = try session.queuedContact()
        let waiting = try session.queuedContact()
        #expect(errorCode(try session.agent("ann", .accept(.with { $0.contactID = waiting }))) == "contact_not_offered_to_agent")
        #expect(errorCode(try session.agent("ann", .complete(.with { $0.contactID = offered }))) == "contact_not_connected_to_agent")
        let emptyAdmin = try session.admin.call(Acd_V1_AdminRequest.with { $0.requestID = "x" }, reply: Acd_V1_AdminReply.self)
        guard case .error(let empty)? = emptyAdmin.body else { Issue.record("expected an error"); return }
        #expect(empty.code == "empty_request" && emptyAdmin.requestID == "x")

        // Refusals changed nothing: the first contact was still offered to ann; the second is hers once she is free.
        try session.answer(offered, by: "ann")
        let statistics = try session.statistics()
        let general = statistics.queues.first { $0.queue == "general" }
        #expect(general?.waiting == 0 && general?.ringing == 1 && general?.answered == 1)
        let errors = statistics.daemon.errors
        #expect(errors["malformed_message"] == 3 && errors["message_too_large"] == 1 && errors["field_out_of_range"] == 1)
        #expect(errors["agent_already_logged_in"] == 1 && errors["contact_not_offered_to_agent"] == 1)
        #expect(errors["empty_request"] == 1 && errors["invalid_field"] == 2 && errors["unknown_agent"] == 1 && errors["unknown_contact"] == 1)
        #expect(daemon.stop() == 0)
    }

    /// Each reply is written into the storage of an earlier request: pipelined requests of every size, in both
    /// encodings and refused or not, must each get their own reply, whole, in order.
    @Test func pipelinedRequestsOfEverySizeEachGetTheirOwnReply() throws {
        let daemon = try RunningDaemon()
        let context = try ZMQContext()
        let ivr = try Client(context, daemon.endpoints["contacts"]!)
        let count = 300
        for n in 0..<count {
            let request = Acd_V1_ContactRequest.with {
                $0.requestID = "r\(n)-" + String(repeating: "x", count: (n * 37) % 200)
                $0.submit = .with {
                    $0.tenant = "default"; $0.queue = n % 5 == 4 ? "nope" : "general"; $0.channel = .voice
                    $0.ivrData = ["note": String(repeating: "y", count: (n * 53) % 900)]
                }
            }
            try ivr.socket.send([WireCodec.encode(request, as: n % 3 == 2 ? .json : .binary)])
        }
        for n in 0..<count {
            guard try ivr.socket.waitForMessage(timeout: 5_000), let frames = try ivr.socket.receive() else {
                Issue.record("no reply to request \(n)")
                return
            }
            let (reply, encoding) = try WireCodec.decode(frames.last!, as: Acd_V1_ContactReply.self)
            #expect(encoding == (n % 3 == 2 ? .json : .binary))
            #expect(reply.requestID == "r\(n)-" + String(repeating: "x", count: (n * 37) % 200))
            switch reply.body {
            case .queued(let queued)?: #expect(n % 5 != 4 && queued.position >= 1)
            case .error(let error)?: #expect(n % 5 == 4 && error.code == "unknown_queue")
            default: Issue.record("reply \(n): \(reply)")
            }
        }
        #expect(daemon.stop() == 0)
    }

    /// Desktop requests sent back to back, past a full outbox of 64 (sent mid-turn), in both encodings and with
    /// garbage among them, are each answered, in order, as if they had come alone.
    @Test func pipelinedDesktopRequestsAreAnsweredInOrder() throws {
        let session = try DaemonSession(RunningDaemon())
        try session.addAgent("pia")
        #expect(try session.agent("pia", .login(.init())).body == .ack(.init()))
        // Equal callers are served oldest first: once ready, pia is offered them in this order, each when the last
        // one's wrap-up ends.
        let contacts = try (0..<60).map { _ in try session.queuedContact() }
        // Sent on a socket still connecting, the requests wait in it and reach the daemon together, so that a turn
        // finds more than an outbox's worth queued.
        let desktop = try Client(session.context, session.daemon.endpoints["agents"]!)
        var expected: [(requestID: String, acknowledged: Bool)] = []
        func send(_ body: Acd_V1_AgentRequest.OneOf_Body, as encoding: WireEncoding = .binary) throws {
            let requestID = "d\(expected.count)"
            expected.append((requestID, true))
            let request = Acd_V1_AgentRequest.with { $0.requestID = requestID; $0.agentID = "pia"; $0.body = body }
            try desktop.socket.send([WireCodec.encode(request, as: encoding)])
        }
        try send(.ready(.init()))
        // JSON first, then binary: the generated decoder and the hand-written one.
        for (n, contact) in contacts.enumerated() {
            let encoding: WireEncoding = n < contacts.count / 2 ? .json : .binary
            try send(.accept(.with { $0.contactID = contact }), as: encoding)
            try send(.complete(.with { $0.contactID = contact }), as: encoding)
            if n % 7 == 2 {
                expected.append(("", false))
                try desktop.socket.send([[0xFF, 0x01, 0x02]])
            }
            try send(.endWrapUp(.with { $0.contactID = contact }), as: encoding)
        }
        for (requestID, acknowledged) in expected {
            guard try desktop.socket.waitForMessage(timeout: 5_000), let frames = try desktop.socket.receive() else {
                Issue.record("no reply to request \(requestID)")
                return
            }
            let (reply, _) = try WireCodec.decode(frames.last!, as: Acd_V1_AgentReply.self)
            #expect(reply.requestID == requestID)
            if acknowledged {
                #expect(reply.body == .ack(.init()), "\(requestID): \(reply)")
            } else if case .error? = reply.body {} else {
                Issue.record("garbage got \(reply)")
            }
        }
        let statistics = try session.statistics()
        #expect(statistics.queues.first { $0.queue == "general" }?.answered == Int64(contacts.count))
        #expect(session.daemon.stop() == 0)
    }

    @Test func anAgentWhoMissesOffersGoesNotReady() throws {
        let scratch = try ScratchDirectory()
        let rules = scratch.path("fast.yaml")
        try """
            tenant: default
            skills: [general]
            agent_defaults: {max_missed_offers: 2}
            queues:
              - {name: general, channel: voice, skills: {general: 1}, offer_timeout: 1, decline_block: 1}
            """.write(toFile: rules, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["--rules", rules])
        let session = try DaemonSession(daemon)
        try session.addAgent("ann")
        try session.agent("ann", .login(.init()))
        let desk = try ZMQSocket.subscriber(session.context, daemon.endpoints["events"]!, topic: "agent.ann") {
            try session.agent("ann", .ready(.init()))
            try session.agent("ann", .notReady(.with { $0.reason = "warming" }))
        }
        _ = try session.queuedContact()
        try session.agent("ann", .ready(.init()))
        let reason = try desk.nextEvent(timeout: 10_000) { event -> String? in
            guard case .agentStateChanged(let change)? = event.kind, change.state == "not_ready", change.reason != "warming" else { return nil }
            return change.reason
        }
        #expect(reason == "no-answer")
        let statistics = try session.statistics()
        #expect(statistics.queues.first?.waiting == 1, "the missed contact waits for someone else")
        #expect(daemon.stop() == 0)
    }

    @Test func skillsDecideWhoIsOfferedAndWallboardsGetQueueStatistics() throws {
        let daemon = try RunningDaemon()
        let session = try DaemonSession(daemon)
        let wallboard = try ZMQSocket(session.context, type: .subscriber)
        try wallboard.setLinger(milliseconds: 0)
        try wallboard.subscribe("stats.default.support")
        try wallboard.connect(daemon.endpoints["events"]!)
        try session.addAgent("ann", skills: ["general": 9])
        try session.addAgent("bob", skills: ["general": 2, "support": 7])
        for agent in ["ann", "bob"] {
            try session.agent(agent, .login(.init()))
            try session.agent(agent, .ready(.init()))
        }
        // Ann has been idle longer, but only Bob has the support skill.
        let support = try session.queuedContact(queue: "support")
        let status = try session.ivr.call(Acd_V1_ContactRequest.with { $0.status = .with { $0.contactID = support } }, reply: Acd_V1_ContactReply.self)
        guard case .status(let s)? = status.body else { Issue.record("no status: \(status)"); return }
        #expect(s.phase == "offered" && s.agentID == "bob")

        // Snapshots come once a second; one taken after the submission counts it.
        var snapshot: Acd_V1_QueueStatistics?
        for _ in 0..<4 where snapshot?.submitted != 1 {
            guard try wallboard.waitForMessage(timeout: 1_500), let frames = try wallboard.receive() else { continue }
            #expect(frames[0] == Array("stats.default.support".utf8))
            snapshot = try Acd_V1_QueueStatistics(serializedBytes: frames[1])
        }
        #expect(snapshot?.queue == "support" && snapshot?.submitted == 1 && snapshot?.ringing == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func theEventsOfOneCommandReachATopicAsOneMessageInSequenceOrder() throws {
        let daemon = try RunningDaemon()
        let session = try DaemonSession(daemon)
        try session.addAgent("ann")
        try session.agent("ann", .login(.init()))
        var warm = false
        let desk = try ZMQSocket.subscriber(session.context, daemon.endpoints["events"]!, topic: "agent.ann") {
            warm.toggle()
            try session.agent("ann", .notReady(.with { $0.reason = warm ? "warming" : "briefing" }))
        }
        let waiting = try session.queuedContact()
        // Going ready changes Ann's state, offers her the waiting contact and reserves her: one command, one message.
        #expect(try session.agent("ann", .ready(.init())).body == .ack(.init()))
        #expect(try desk.waitForMessage(timeout: 5_000))
        let frames = try #require(try desk.receive())
        #expect(frames[0] == Array("agent.ann".utf8))
        let events = try publishedEvents(frames).map { try Acd_V1_Event(serializedBytes: $0) }
        #expect(events.count >= 2, "\(events)")
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence + 1 == $1.sequence }, "\(events)")
        #expect(events.contains { if case .offered(let offer)? = $0.kind { offer.contactID == waiting } else { false } })
        #expect(daemon.stop() == 0)
    }

    /// Requests sent without waiting are served in one turn, whose events about several contacts and agents go
    /// out grouped by topic: each must reach each of its topics once, and no other topic. With a replay buffer of
    /// two events, the turn's messages must go out before the buffer drops the events they are sent from.
    @Test(arguments: [[], ["--replay-buffer-events", "2"]])
    func everyEventGoesOutOnceUnderEachOfItsTopicsAndUnderNoOther(replay: [String]) throws {
        let daemon = try RunningDaemon(replay)
        let session = try DaemonSession(daemon)
        for agent in ["ann", "bob"] {
            try session.addAgent(agent)
            try session.agent(agent, .login(.init()))
        }
        var warm = false
        let everything = try ZMQSocket.subscriber(session.context, daemon.endpoints["events"]!, topic: "") {
            warm.toggle()
            try session.agent("ann", .notReady(.with { $0.reason = warm ? "warming" : "briefing" }))
        }
        let submit = WireCodec.encode(Acd_V1_ContactRequest.with {
            $0.submit = .with { $0.tenant = "default"; $0.queue = "general"; $0.channel = .voice }
        }, as: .binary)
        for _ in 0..<4 { try session.ivr.socket.send([submit]) }
        for agent in ["ann", "bob"] {
            try session.desktop.socket.send([WireCodec.encode(Acd_V1_AgentRequest.with {
                $0.agentID = agent; $0.ready = .init()
            }, as: .binary)])
        }
        try session.desktop.socket.send([WireCodec.encode(Acd_V1_AgentRequest.with {
            $0.agentID = "ann"; $0.logout = .with { $0.force = true }
        }, as: .binary)])
        for (client, replies) in [(session.ivr, 4), (session.desktop, 3)] {
            for _ in 0..<replies {
                try #require(try client.socket.waitForMessage(timeout: 5_000), "a reply is missing")
                _ = try client.socket.receive()
            }
        }

        var seen: [String: Set<UInt64>] = [:]
        var events: [UInt64: Event] = [:]
        while try everything.waitForMessage(timeout: 300), let frames = try everything.receive() {
            let topic = String(decoding: frames[0], as: UTF8.self)
            for payload in try publishedEvents(frames) {
                let event = try #require(Event(wire: try Acd_V1_Event(serializedBytes: payload)))
                events[event.sequence] = event
                #expect(Self.topics(of: event).contains(topic), "\(event) under \(topic)")
                #expect(seen[topic, default: []].insert(event.sequence).inserted, "\(event) twice under \(topic)")
            }
        }
        #expect(events.values.contains { if case .offered = $0.kind { true } else { false } })
        let sequences = events.keys.sorted()
        #expect(sequences == Array(try #require(sequences.first)...sequences.last!), "a gap in \(sequences)")
        for (sequence, event) in events {
            for topic in Self.topics(of: event) { #expect(seen[topic]?.contains(sequence) == true, "\(event) not under \(topic)") }
        }
        #expect(daemon.stop() == 0)
    }

    /// The same text in two Unicode normal forms names two agents (the engine compares ids by their bytes), and
    /// each has its own topic: the events of one turn about both must each go out under its own agent's topic
    /// bytes, and each its own desktop's heartbeats. Swift's `==` equates the two ids, so the tables keyed by it
    /// merged their messages and their desktops.
    @Test func agentIdsDifferingOnlyInNormalFormKeepTheirOwnTopics() throws {
        let daemon = try RunningDaemon()
        let session = try DaemonSession(daemon)
        let agents = ["ren\u{E9}", "rene\u{301}"]
        for agent in agents {
            try session.addAgent(agent)
            try session.agent(agent, .login(.init()))
        }
        var warm = false
        let desks = try ZMQSocket.subscriber(session.context, daemon.endpoints["events"]!, topic: "agent.") {
            warm.toggle()
            try session.agent(agents[0], .notReady(.with { $0.reason = warm ? "warming" : "briefing" }))
        }
        // Sent without waiting, so that one turn serves them: both agents go ready, then two callers arrive.
        for agent in agents {
            try session.desktop.socket.send([WireCodec.encode(Acd_V1_AgentRequest.with {
                $0.agentID = agent; $0.ready = .init()
            }, as: .binary)])
        }
        let submit = WireCodec.encode(Acd_V1_ContactRequest.with {
            $0.submit = .with { $0.tenant = "default"; $0.queue = "general"; $0.channel = .voice }
        }, as: .binary)
        for _ in 0..<2 { try session.ivr.socket.send([submit]) }
        for (client, replies) in [(session.desktop, 2), (session.ivr, 2)] {
            for _ in 0..<replies {
                try #require(try client.socket.waitForMessage(timeout: 5_000), "a reply is missing")
                _ = try client.socket.receive()
            }
        }

        var offered: [[UInt8]] = []
        while try desks.waitForMessage(timeout: 300), let frames = try desks.receive() {
            for payload in try publishedEvents(frames) {
                let event = try Acd_V1_Event(serializedBytes: payload)
                let agent: String
                switch event.kind {
                case .offered(let offer)?: agent = offer.agentID; offered.append(Array(agent.utf8))
                case .agentStateChanged(let change)?: agent = change.agentID
                default: continue
                }
                #expect(frames[0] == Array("agent.".utf8) + Array(agent.utf8), "\(event) under the other agent's topic")
            }
        }
        #expect(Set(offered) == Set(agents.map { Array($0.utf8) }), "each agent is offered one of the two callers")

        // Their desktops are told apart too: logging one out leaves the other's heartbeats welcome.
        #expect(try session.agent(agents[1], .logout(.with { $0.force = true })).body == .ack(.init()))
        #expect(try session.agent(agents[0], .heartbeat(.init())).body == .ack(.init()))
        guard case .error(let refused)? = try session.agent(agents[1], .heartbeat(.init())).body else {
            Issue.record("a heartbeat of a logged-out agent was taken")
            return
        }
        #expect(refused.code == "agent_not_logged_in")
        #expect(daemon.stop() == 0)
    }

    private static func topics(of event: Event) -> [String] {
        var topics: [String] = []
        EventTopics.forEachTopic(of: event.kind) { topics.append(String(decoding: $0.bytes, as: UTF8.self)) }
        return topics
    }

    @Test func reloadingRulesUnderLoadKeepsEveryQueuedContact() throws {
        let daemon = try RunningDaemon(["--rules", "routing-rules"])
        let session = try DaemonSession(daemon)
        var contacts: [UInt64] = []
        for n in 0..<300 {
            contacts.append(try session.queuedContact())
            if n % 100 == 50 {
                let reloaded = try session.admin.call(Acd_V1_AdminRequest.with { $0.reloadRules = .init() }, reply: Acd_V1_AdminReply.self)
                #expect(reloaded.body == .ack(.init()))
            }
            if n == 200 { kill(daemon.process.processIdentifier, SIGHUP) }
        }
        let statistics = try session.statistics()
        #expect(statistics.queues.first { $0.tenant == "default" && $0.queue == "general" }?.waiting == 300)
        for contact in contacts.shuffled().prefix(20) {
            let status = try session.ivr.call(Acd_V1_ContactRequest.with { $0.status = .with { $0.contactID = contact } }, reply: Acd_V1_ContactReply.self)
            guard case .status(let s)? = status.body else { Issue.record("contact \(contact) lost: \(status)"); continue }
            #expect(s.phase == "queued")
        }
        #expect(daemon.stop() == 0)
    }
}
