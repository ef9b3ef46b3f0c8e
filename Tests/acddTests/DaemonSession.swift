import ACDProtocol
import CRMStore
import Foundation
import GRDB
import Testing
import ZeroMQ

/// An IVR, a desktop and an admin client connected to one running daemon, with the requests the tests repeat.
struct DaemonSession {
    let context: ZMQContext
    let ivr: Client
    let desktop: Client
    let admin: Client
    let daemon: RunningDaemon

    init(_ daemon: RunningDaemon) throws {
        self.daemon = daemon
        context = try ZMQContext()
        ivr = try Client(context, daemon.endpoints["contacts"]!)
        desktop = try Client(context, daemon.endpoints["agents"]!)
        admin = try Client(context, daemon.endpoints["admin"]!)
    }

    @discardableResult
    func addAgent(_ id: String, skills: [String: Int32] = ["general": 6]) throws -> Acd_V1_AdminReply {
        try admin.call(Acd_V1_AdminRequest.with {
            $0.addAgent = .with { $0.agentID = id; $0.name = id.capitalized; $0.tenant = "default"; $0.skills = skills }
        }, reply: Acd_V1_AdminReply.self)
    }

    @discardableResult
    func agent(_ id: String, _ body: Acd_V1_AgentRequest.OneOf_Body) throws -> Acd_V1_AgentReply {
        try desktop.call(Acd_V1_AgentRequest.with { $0.agentID = id; $0.body = body }, reply: Acd_V1_AgentReply.self)
    }

    func submit(queue: String = "general", ani: String = "", customerID: String = "", priority: Int32 = 0) throws -> Acd_V1_ContactReply {
        try ivr.call(Acd_V1_ContactRequest.with {
            $0.submit = .with {
                $0.tenant = "default"; $0.queue = queue; $0.channel = .voice; $0.ani = ani; $0.customerID = customerID
                $0.priority = priority; $0.ivrData = ["intent": "invoice"]
            }
        }, reply: Acd_V1_ContactReply.self)
    }

    /// The contact id of a submission that was queued.
    func queuedContact(queue: String = "general", ani: String = "", customerID: String = "") throws -> UInt64 {
        let reply = try submit(queue: queue, ani: ani, customerID: customerID)
        guard case .queued(let queued)? = reply.body else { throw ProtocolError(code: "not_queued", message: "\(reply)") }
        return queued.contactID
    }

    /// The statistics once the in-process CRM store has written through the last event (at most 10 s).
    func statisticsOnceTheStoreHasWrittenEverything() throws -> Acd_V1_Statistics {
        var statistics = try self.statistics()
        for _ in 0..<200 where statistics.daemon.crmWrittenThrough < statistics.daemon.lastSequence {
            usleep(50_000)
            statistics = try self.statistics()
        }
        return statistics
    }

    /// The statistics once a store running as its own process has reported writing through the last event (at
    /// most 10 s).
    func statisticsOnceTheSeparateStoreHasWrittenEverything() throws -> Acd_V1_Statistics {
        var statistics = try self.statistics()
        for _ in 0..<200 where statistics.daemon.followingStores.first.map({ $0.writtenThrough < statistics.daemon.lastSequence }) ?? true {
            usleep(50_000)
            statistics = try self.statistics()
        }
        return statistics
    }

    func statistics() throws -> Acd_V1_Statistics {
        let reply = try admin.call(Acd_V1_AdminRequest.with { $0.statistics = .init() }, reply: Acd_V1_AdminReply.self)
        guard case .statistics(let statistics)? = reply.body else { throw ProtocolError(code: "no_statistics", message: "\(reply)") }
        return statistics
    }

    /// Handles a contact already offered to `agent` from accept to the end of its wrap-up.
    func answer(_ contact: UInt64, by agent: String) throws {
        for body: Acd_V1_AgentRequest.OneOf_Body in [
            .accept(.with { $0.contactID = contact }), .complete(.with { $0.contactID = contact }),
            .endWrapUp(.with { $0.contactID = contact }),
        ] {
            let reply = try self.agent(agent, body)
            guard reply.body == .ack(.init()) else { throw ProtocolError(code: "refused", message: "\(body): \(reply)") }
        }
    }
}

extension ZMQSocket {
    /// Subscribes to `topic` and returns once the subscription has reached the publisher: `poke` must make the
    /// daemon publish something under the topic (the subscription travels asynchronously).
    static func subscriber(_ context: ZMQContext, _ endpoint: String, topic: String, poke: () throws -> Void) throws -> ZMQSocket {
        let socket = try ZMQSocket(context, type: .subscriber)
        try socket.setLinger(milliseconds: 0)
        try socket.subscribe(topic)
        try socket.connect(endpoint)
        for _ in 0..<200 {
            try poke()
            if try socket.waitForMessage(timeout: 20) {
                while try socket.receive(dontWait: true) != nil {}
                return socket
            }
        }
        throw ProtocolError(code: "timeout", message: "subscription to \(topic) never took effect")
    }

    /// The next event within `timeout` ms that `match` picks, skipping others.
    func nextEvent<T>(timeout: Int = 5_000, _ match: (Acd_V1_Event) -> T?) throws -> T? {
        let deadline = ContinuousClock.now + .milliseconds(timeout)
        while ContinuousClock.now < deadline {
            guard try waitForMessage(timeout: 50), let frames = try receive() else { continue }
            for payload in try publishedEvents(frames) {
                if let found = match(try WireCodec.decode(payload, as: Acd_V1_Event.self).0) { return found }
            }
        }
        return nil
    }
}

extension RunningDaemon {
    /// The command line of an `acdd crm-store` that follows this daemon into the CRM database at `crm`, logging only
    /// what is critical; `extra` adds options (`--name`, ...).
    func separateStoreCommand(crm: String, _ extra: [String] = []) -> [String] {
        ["crm-store", "--crm", crm, "--connect", endpoints["events"]!, "--admin", endpoints["admin"]!] + extra
            + ["--log-level", "critical"]
    }
}

/// The events of one published message: its topic frame, then exactly one frame, the batch of its events.
func publishedEvents(_ frames: [[UInt8]]) throws -> [[UInt8]] {
    guard frames.count == 2, let events = PublishedEvents.events(inBatch: frames[1]) else {
        throw ProtocolError(code: "malformed_message", message: "a topic and one batch of events expected, got \(frames.count) frames")
    }
    return events
}

/// A scratch directory for one test's files (CRM database, rule files, config).
struct ScratchDirectory: ~Copyable {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("acdd-test-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The CRM database opened as any other SQL client would, waiting its turn while acdd writes.
func crmDatabase(_ path: String) throws -> DatabaseQueue {
    _ = CRMDatabase.sqliteSetup
    var configuration = Configuration()
    configuration.busyMode = .timeout(5)
    return try DatabaseQueue(path: path, configuration: configuration)
}

func crmRows(_ path: String, _ sql: String) throws -> [Row] {
    try crmDatabase(path).read { try Row.fetchAll($0, sql: sql) }
}
