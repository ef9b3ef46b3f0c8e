import ACDProtocol
import SwiftProtobuf
import ZeroMQ

/// A connection to one of acdd's request endpoints (contacts, agents or admin) that pipelines: requests go out
/// without waiting, each with its own id, and replies are collected as they come. Like the socket under it, it
/// belongs to one thread. Binary protobuf on the wire.
public final class ACDConnection<Request: SwiftProtobuf.Message, Reply: SwiftProtobuf.Message> {
    let socket: ZMQSocket
    private var counter: UInt64 = 0
    private let prefix: String

    public init(context: ZMQContext, endpoint: String, name: String) throws(ZMQError) {
        socket = try ZMQSocket(context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setSendHighWaterMark(0)
        try socket.setReceiveHighWaterMark(0)
        try socket.connect(endpoint)
        prefix = name
    }

    /// Sends `request` under a fresh id, returned; never blocks on a slow daemon beyond libzmq's queue.
    @discardableResult
    public func send(_ request: Request, build: (inout Request, String) -> Void) throws -> String {
        let id = nextRequestID()
        var message = request
        build(&message, id)
        _ = try socket.send([try message.serializedBytes()])
        return id
    }

    /// Sends `request`, serialized already and without a request id, under a fresh id, returned: for requests sent
    /// by the thousand, made once or by `ClientFrames`.
    @discardableResult
    public func send(serialized request: [UInt8]) throws -> String {
        let id = nextRequestID()
        _ = try socket.send([ClientFrames.settingRequestID(id, in: request)])
        return id
    }

    /// Which member of its body each reply already arrived holds (its field number; see `ClientFrames`), without
    /// decoding them nor waiting.
    public func replyBodyFields() throws -> [UInt64] {
        var fields: [UInt64] = []
        while let frames = try socket.receive(dontWait: true), let payload = frames.last {
            fields.append(ClientFrames.replyBodyField(payload) ?? 0)
        }
        return fields
    }

    func nextRequestID() -> String {
        counter += 1
        return "\(prefix)-\(counter)"
    }

    /// Replies already arrived, without waiting.
    public func replies() throws -> [Reply] {
        var replies: [Reply] = []
        while let frames = try socket.receive(dontWait: true), let payload = frames.last {
            replies.append(try Reply(serializedBytes: payload))
        }
        return replies
    }

    /// Sends and waits for this request's reply (other replies arriving meanwhile are returned with it).
    public func call(_ request: Request, build: (inout Request, String) -> Void, timeoutMilliseconds: Int = 5_000,
                     id replyID: (Reply) -> String) throws -> (reply: Reply, others: [Reply]) {
        let id = try send(request, build: build)
        var others: [Reply] = []
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        while ContinuousClock.now < deadline {
            guard try socket.waitForMessage(timeout: 50) else { continue }
            for reply in try replies() {
                if replyID(reply) == id { return (reply, others) }
                others.append(reply)
            }
        }
        throw ACDClientError(code: "timeout", message: "no reply to \(id) within \(timeoutMilliseconds) ms")
    }
}

/// The IVR side: submit contacts, cancel, abandon, ask their status.
public typealias IVRConnection = ACDConnection<Acd_V1_ContactRequest, Acd_V1_ContactReply>
/// The desktop side, for any number of agents: each request names its agent.
public typealias DesktopConnection = ACDConnection<Acd_V1_AgentRequest, Acd_V1_AgentReply>
public typealias AdminConnection = ACDConnection<Acd_V1_AdminRequest, Acd_V1_AdminReply>

extension ACDConnection where Request == Acd_V1_ContactRequest {
    public func submit(_ submission: Acd_V1_SubmitContact) throws -> String {
        try send(Request()) { $0.requestID = $1; $0.submit = submission }
    }

    public func abandon(_ contact: UInt64) throws -> String {
        try send(Request()) { $0.requestID = $1; $0.abandon = .with { $0.contactID = contact } }
    }
}

extension ACDConnection where Request == Acd_V1_AgentRequest {
    public func send(_ agent: String, _ body: Acd_V1_AgentRequest.OneOf_Body) throws -> String {
        try send(Request()) { $0.requestID = $1; $0.agentID = agent; $0.body = body }
    }

    /// Accepts, declines, completes or ends the wrap-up of `contact` for `agent`: the same request as `send` with
    /// the matching body, encoded by `ClientFrames`.
    @discardableResult
    public func send(_ agent: String, _ action: ClientFrames.ContactAction, contact: UInt64) throws -> String {
        let id = nextRequestID()
        _ = try socket.send([ClientFrames.agentRequest(action, contact: contact, agent: agent, requestID: id)])
        return id
    }
}

extension ACDConnection where Request == Acd_V1_AdminRequest, Reply == Acd_V1_AdminReply {
    public func call(_ body: Acd_V1_AdminRequest.OneOf_Body) throws -> Acd_V1_AdminReply {
        try call(Request(), build: { $0.requestID = $1; $0.body = body }, id: \.requestID).reply
    }

    public func statistics() throws -> Acd_V1_Statistics {
        let reply = try call(.statistics(.init()))
        guard case .statistics(let statistics)? = reply.body else {
            throw ACDClientError(code: "unexpected_reply", message: "\(reply)")
        }
        return statistics
    }
}

/// The events endpoint: decoded events under the topics subscribed to.
public final class EventSubscription {
    let socket: ZMQSocket

    public init(context: ZMQContext, endpoint: String, topics: [String]) throws(ZMQError) {
        socket = try ZMQSocket(context, type: .subscriber)
        try socket.setLinger(milliseconds: 0)
        try socket.setReceiveHighWaterMark(0)
        for topic in topics { try socket.subscribe(topic) }
        try socket.connect(endpoint)
    }

    /// Events already arrived (those of at most `limit` messages), in order, without waiting.
    public func events(limit: Int = 10_000) throws -> [Acd_V1_Event] {
        try payloads(limit: limit).map { try Acd_V1_Event(serializedBytes: $0) }
    }

    /// Queue statistics (`stats.<tenant>.<queue>`) are not events; built once, not for every message.
    private static let statisticsTopic = Array("stats.".utf8)

    /// The binary events already arrived (those of at most `limit` messages), undecoded: a client that wants only
    /// some kinds can look at `EventKindPeek.fieldNumber` first and decode those alone.
    public func payloads(limit: Int = 10_000) throws -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        for batch in try batches(limit: limit) {
            guard let events = PublishedEvents.events(inBatch: batch) else {
                throw ACDClientError(code: "malformed_event_batch", message: "a published message's events could not be read (\(batch.count) bytes)")
            }
            payloads.append(contentsOf: events)
        }
        return payloads
    }

    /// The batch frames of the event messages already arrived (at most `limit` messages), for a client that reads
    /// the events in place with `PublishedEvents.forEachEvent` rather than copy each out.
    public func batches(limit: Int = 10_000) throws -> [[UInt8]] {
        var batches: [[UInt8]] = []
        // A message is the topic, then the batch of the events of one turn under that topic.
        while batches.count < limit, let frames = try socket.receive(dontWait: true), frames.count >= 2 {
            if frames[0].starts(with: Self.statisticsTopic) { continue }
            batches.append(contentsOf: frames.dropFirst())
        }
        return batches
    }
}

/// Waits until any of the connections has something to read, or `timeoutMilliseconds` pass.
public func waitForTraffic(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws {
    _ = try ZMQPoller.poll(sockets, timeout: timeoutMilliseconds)
}

extension ACDConnection { public var pollable: ZMQSocket { socket } }
extension EventSubscription { public var pollable: ZMQSocket { socket } }

public struct ACDClientError: Error, CustomStringConvertible {
    public let code: String
    public let message: String
    public var description: String { "\(code): \(message)" }

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// Which kind a binary `Event` carries, without decoding it: the encoder writes fields in number order, so after
/// `sequence` (1) and `at_ms` (2) comes the tag of the `kind` field (3 queued, 4 offered, ...; see acd.proto).
public enum EventKindPeek {
    public static func fieldNumber(_ event: [UInt8]) -> Int? {
        var index = 0
        func varint() -> Int? {
            var value = 0, shift = 0
            while index < event.count, shift < 63 {
                let byte = event[index]
                index += 1
                value |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while let tag = varint() {
            let field = tag >> 3
            if field > 2 { return field }
            guard tag & 7 == 0, varint() != nil else { return nil }
        }
        return nil
    }

    public static let offered = 4
}

/// The first line `acdd run` prints, `acdd listening contacts=tcp://... agents=... events=... admin=...`, which a
/// script reads to learn the ports the system chose for `*`.
public enum ListeningBanner {
    /// Endpoints by name (contacts, agents, events, admin).
    public static func endpoints(_ line: String) -> [String: String] {
        var endpoints: [String: String] = [:]
        for field in line.split(separator: " ").dropFirst(2) {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { endpoints[parts[0]] = parts[1] }
        }
        return endpoints
    }
}
