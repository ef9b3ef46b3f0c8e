import RoutingCore
import SwiftProtobuf

// Replies are built from the events the request's command produced (timers fired first, separately), so a
// reply never disagrees with the event stream.

extension Acd_V1_Error {
    public init(_ error: ProtocolError) {
        self.init()
        code = error.code
        message = error.message
    }

    init(_ code: RejectionCode, _ message: String) {
        self.init()
        self.code = code.rawValue
        self.message = message
    }
}

/// A reply that can carry an error, built the same way on every endpoint.
public protocol ErrorCarryingReply: SwiftProtobuf.Message {
    var requestID: String { get set }
    mutating func setError(_ error: Acd_V1_Error)
}

/// A reply that is an ack unless the command was refused (agents and admin endpoints).
public protocol AckOrErrorReply: ErrorCarryingReply {
    mutating func setAck()
}

extension ErrorCarryingReply {
    public init(requestID: String, error: ProtocolError) {
        self.init()
        self.requestID = requestID
        setError(Acd_V1_Error(error))
    }
}

extension AckOrErrorReply {
    /// Ack, or the refusal the command produced.
    public init(requestID: String, events: ArraySlice<Event>) {
        self.init()
        self.requestID = requestID
        setAck()
        for case .commandRejected(let code, let message) in events.lazy.map(\.kind) {
            setError(Acd_V1_Error(code, message))
            return
        }
    }
}

extension Acd_V1_ContactReply: ErrorCarryingReply {
    public mutating func setError(_ error: Acd_V1_Error) { body = .error(error) }
}

extension Acd_V1_AgentReply: AckOrErrorReply {
    public mutating func setAck() { body = .ack(Acd_V1_Ack()) }
    public mutating func setError(_ error: Acd_V1_Error) { body = .error(error) }
}

extension Acd_V1_AdminReply: AckOrErrorReply {
    public mutating func setAck() { body = .ack(Acd_V1_Ack()) }
    public mutating func setError(_ error: Acd_V1_Error) { body = .error(error) }
}

/// Every request carries an id its reply echoes.
public protocol IdentifiedRequest: SwiftProtobuf.Message {
    var requestID: String { get }
}

extension Acd_V1_ContactRequest: IdentifiedRequest {}
extension Acd_V1_AgentRequest: IdentifiedRequest {}
extension Acd_V1_AdminRequest: IdentifiedRequest {}

extension Acd_V1_ContactReply {
    /// The reply to a contact command: queued (with position and wait estimate), closed, refused, or done.
    public init(requestID: String, events: ArraySlice<Event>) {
        self.init()
        self.requestID = requestID
        body = .ack(Acd_V1_Ack())
        for event in events {
            switch event.kind {
            case .commandRejected(let code, let message):
                body = .error(Acd_V1_Error(code, message))
                return
            case .queued(let id, _, _, let position, let estimate):
                body = .queued(.with {
                    $0.contactID = id.rawValue
                    $0.position = Int32(clamping: position)
                    if let estimate { $0.estimatedWaitSeconds = Int32(clamping: estimate) }
                })
                return
            case .closed(let id, _, _):
                body = .closed(.with { $0.contactID = id.rawValue })
                return
            default:
                continue
            }
        }
    }

    public init(requestID: String, status: ContactStatus?, id: ContactID) {
        self.init()
        self.requestID = requestID
        guard let status else {
            body = .error(Acd_V1_Error(.unknownContact, "unknown contact \(id)"))
            return
        }
        body = .status(.with {
            $0.contactID = status.id.rawValue
            $0.tenant = status.tenant
            $0.queue = status.queue
            $0.phase = status.phase.rawValue
            $0.agentID = status.agent?.rawValue ?? ""
            if let position = status.position { $0.position = Int32(clamping: position) }
            if let estimate = status.estimatedWaitSeconds { $0.estimatedWaitSeconds = Int32(clamping: estimate) }
            $0.waitedMs = status.waitedMilliseconds
            $0.callbackNumber = status.callbackNumber ?? ""
        })
    }
}

extension Acd_V1_AdminReply {
    public init(
        requestID: String, queues: [QueueStatistics], agents: [AgentStatistics], daemon: Acd_V1_DaemonStatistics
    ) {
        self.init()
        self.requestID = requestID
        body = .statistics(.with {
            $0.queues = queues.map(Acd_V1_QueueStatistics.init)
            $0.agents = agents.map(Acd_V1_AgentStatistics.init)
            $0.daemon = daemon
        })
    }

    public init(requestID: String, batch: Acd_V1_EventBatch) {
        self.init()
        self.requestID = requestID
        body = .eventBatch(batch)
    }
}

extension Acd_V1_Channel {
    public init(_ channel: Channel) {
        self = switch channel {
        case .voice: .voice
        case .chat: .chat
        case .email: .email
        case .callback: .callback
        }
    }
}

extension Acd_V1_QueueStatistics {
    public init(_ stats: QueueStatistics) {
        self.init()
        tenant = stats.tenant
        queue = stats.queue
        channel = Acd_V1_Channel(stats.channel)
        waiting = Int32(clamping: stats.waiting)
        ringing = Int32(clamping: stats.ringing)
        longestWaitMs = stats.longestWaitMilliseconds
        if let sl = stats.serviceLevelPercent { serviceLevelPercent = sl }
        serviceLevelTargetPercent = stats.serviceLevelTarget.percent
        serviceLevelTargetSeconds = Int32(clamping: stats.serviceLevelTarget.seconds)
        if let asa = stats.averageSpeedOfAnswerMilliseconds { averageSpeedOfAnswerMs = asa }
        if let abandon = stats.abandonRatePercent { abandonRatePercent = abandon }
        windowSeconds = Int32(clamping: stats.windowSeconds)
        averageHandleSeconds = stats.averageHandleSeconds
        agentsByState = Dictionary(uniqueKeysWithValues: stats.agentsByState.map { ($0.key.description, Int32(clamping: $0.value)) })
        submitted = Int64(stats.totals.submitted)
        answered = Int64(stats.totals.answered)
        abandoned = Int64(stats.totals.abandoned)
        overflowedOut = Int64(stats.totals.overflowedOut)
        completed = Int64(stats.totals.completed)
    }
}

extension Acd_V1_AgentStatistics {
    init(_ stats: AgentStatistics) {
        self.init()
        agentID = stats.id.rawValue
        name = stats.name
        tenant = stats.tenant
        state = stats.state.description
        reason = stats.reason ?? ""
        if let idle = stats.idleSince { idleSinceMs = idle.milliseconds }
        contactsHandled = Int64(stats.contactsHandled)
        talkMs = stats.talkMilliseconds
        if let occupancy = stats.occupancy { self.occupancy = occupancy }
        activeContacts = Int32(clamping: stats.activeContacts)
    }
}
