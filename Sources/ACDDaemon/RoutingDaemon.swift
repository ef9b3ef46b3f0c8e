import ACDProtocol
import CRMStore
import Foundation
import Logging
import RoutingCore
import SwiftProtobuf
import ZeroMQ

/// Owns the routing engine on one thread and serves it over ZeroMQ: a ROUTER each for contacts (IVR), agents
/// (desktops) and admin, a PUB for events. Every request gets a reply in its own encoding; every engine event is
/// published with its sequence number. Bad input is answered with an error code and counted; it never stops
/// the loop. With a CRM database, callers' profiles come from a cache of its customers table, agents are staffed from
/// its agents table at start, and a CRM store follows the event stream into its call cards.
public final class RoutingDaemon {
    // The mutable state below is marked `@exclusivity(unchecked)`: only the routing thread touches it, and no
    // method lends one property out while it calls back into the daemon, so the run-time check Swift makes on
    // each access to a class's stored property can never fire. That check was 6% of the routing thread's
    // instructions (callgrind, bench/README.md).
    @exclusivity(unchecked) private var engine: RoutingEngine
    private let configuration: DaemonConfiguration
    private let logger: Logger
    private let clock: () -> Instant
    private let loadRules: () throws -> RuleSet
    private let context: ZMQContext
    private let contacts: ZMQSocket
    private let agents: ZMQSocket
    private let admin: ZMQSocket
    private let events: ZMQSocket
    @exclusivity(unchecked) private var subscriptions = TopicSubscriptions(families: EventTopics.families)
    /// Requests refused before reaching the engine or by it, by error code.
    @exclusivity(unchecked) public private(set) var errorCounts: [String: Int] = [:]
    @exclusivity(unchecked) public private(set) var requestCount = 0
    /// The events of the turn, in order; a handler gets its command's as a range of them. At the end of the turn
    /// they go whole to the in-process CRM store (`EventHandoff.handIfTaken`), or are dropped without one. Copied
    /// into a handoff array of their own, the events cost the routing thread about 4,000 instructions a contact
    /// more with the store on, and their payloads' references were counted from both threads (bench/README.md,
    /// session 33).
    @exclusivity(unchecked) private var turnEvents: [Event] = []
    @exclusivity(unchecked) private var outbox = Outbox()
    /// Where a topic message's batch of events is put together, its storage kept from one message to the next.
    @exclusivity(unchecked) private var batchFrame: [UInt8] = []
    /// Storage the next reply is written into: the request before it, whose place that request's reply took.
    /// Apart from the outbox, which a handler may send (a rule reload) while it writes here.
    @exclusivity(unchecked) private var nextReply: [UInt8] = []
    /// When each logged-in agent's desktop was last heard from. The engine's table: it tells agent ids apart by
    /// their bytes, as the engine does, where a `Dictionary` would take two spellings of one text for one agent.
    @exclusivity(unchecked) private var lastHeardFrom = CheapHashTable<AgentID, Instant>()
    private let heartbeatTimeoutMilliseconds: Int64
    @exclusivity(unchecked) private var nextHeartbeatSweep = Instant.epoch
    @exclusivity(unchecked) private var nextStatisticsPush = Instant.epoch
    /// Random per start: subscribers tell this run's sequence numbers from a previous run's.
    public let streamID: UInt64
    private let replay: EventReplayBuffer
    private let encodingScratch = EventEncodingScratch()
    @exclusivity(unchecked) private var customers = CustomerDirectory()
    @exclusivity(unchecked) private var customerHits: Int64 = 0
    @exclusivity(unchecked) private var customerMisses: Int64 = 0
    private let customerFeed: CustomerDirectoryFeed?
    private let crmStore: InProcessCRMStore?
    /// The CRM stores beside the daemon (`acdd crm-store`) that report their progress over admin.
    @exclusivity(unchecked) private var followingStores: FollowingStores
    /// Since when new contacts wait in their sockets because a CRM store lags too far behind
    /// (`crmMaximumLagEvents`); nil while they are read.
    @exclusivity(unchecked) private var intakePausedSince: ContinuousClock.Instant?
    @exclusivity(unchecked) private var intakePauses: UInt64 = 0
    @exclusivity(unchecked) private var intakePausedTotal = Duration.zero
    @exclusivity(unchecked) private var lastIntakePauseWarning: ContinuousClock.Instant?

    /// The endpoints actually bound (a `*` port resolved), by name: contacts, agents, events, admin.
    public let endpoints: [String: String]

    /// `loadRules` reads the rule set at start and again on every reload (SIGHUP or the admin request).
    public init(
        configuration: DaemonConfiguration, loadRules: @escaping () throws -> RuleSet, logger: Logger,
        clock: @escaping () -> Instant = WallClock.now
    ) throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.loadRules = loadRules
        heartbeatTimeoutMilliseconds = Int64(configuration.heartbeatTimeoutSeconds) * 1000
        streamID = UInt64.random(in: 1...UInt64(Int64.max))
        replay = EventReplayBuffer(capacity: configuration.replayBufferEvents)
        followingStores = FollowingStores(silence: .seconds(configuration.crmStoreSilenceSeconds))
        engine = try RoutingEngine(rules: loadRules(), seed: configuration.seed, startingAt: clock())
        let database = try configuration.crmDatabasePath.map { path throws(CRMError) in try CRMDatabase(path: path) }
        var staff: [AgentProfile] = []
        if let database {
            let started = ContinuousClock.now
            customers.apply(try database.customerChanges(since: 0))
            staff = try database.activeAgents()
            logger.info("CRM \(database.path): \(customers.count) customers cached, \(staff.count) agents, read in \(ContinuousClock.now - started)")
        }
        let context = try ZMQContext()
        self.context = context
        let limit = configuration.transportMessageLimit
        contacts = try Self.router(context, configuration.contactsEndpoint, maximumMessageBytes: limit)
        agents = try Self.router(context, configuration.agentsEndpoint, maximumMessageBytes: limit)
        admin = try Self.router(context, configuration.adminEndpoint, maximumMessageBytes: limit)
        events = try ZMQSocket(context, type: .xpublisher)
        try events.setLinger(milliseconds: 0)
        // A subscriber that falls further behind loses messages, and fetches them again from the replay buffer.
        try events.setSendHighWaterMark(100_000)
        try events.bind(configuration.eventsEndpoint)
        endpoints = [
            "contacts": contacts.lastEndpoint, "agents": agents.lastEndpoint,
            "events": events.lastEndpoint, "admin": admin.lastEndpoint,
        ]
        if let database {
            customerFeed = CustomerDirectoryFeed(
                database: database, after: customers.revision,
                intervalMilliseconds: configuration.customerRefreshMilliseconds, logger: logger)
        } else {
            customerFeed = nil
        }
        if let database, configuration.crmWriter == .inProcess {
            let inprocAdmin = "inproc://acdd-admin-\(streamID)"
            try admin.bind(inprocAdmin)
            crmStore = InProcessCRMStore(
                database: database, stream: streamID, handoffCapacity: configuration.crmHandoffEvents,
                adminEndpoint: inprocAdmin, context: context, logger: logger)
        } else {
            crmStore = nil
        }
        staffAgents(staff)
        sendOutbox()
    }

    /// Adds the CRM's agents to the engine; one the current rules refuse (unknown tenant or skill) is logged and
    /// left out.
    private func staffAgents(_ staff: [AgentProfile]) {
        for profile in staff {
            let produced = run(.addAgent(profile))
            publish(produced)
            for case .commandRejected(_, let message) in turnEvents[produced].lazy.map(\.kind) {
                logger.warning("agent \(profile.id) from the CRM database not added: \(message)")
            }
        }
    }

    private static func router(_ context: ZMQContext, _ endpoint: String, maximumMessageBytes: Int64) throws -> ZMQSocket {
        let socket = try ZMQSocket(context, type: .router)
        try socket.setLinger(milliseconds: 0)
        // Before bind: libzmq copies options into the listener.
        try socket.setMaximumMessageSize(maximumMessageBytes)
        try socket.bind(endpoint)
        return socket
    }

    /// Serves until `shouldStop` returns true, reloading the rules whenever `takeReloadRequest` returns true;
    /// checks both at least every 100 ms.
    /// On stop, intake ends first; then the CRM store gets up to `shutdownFlushSeconds` to write the last events.
    public func run(until shouldStop: () -> Bool, takeReloadRequest: () -> Bool = { false }) throws {
        while !shouldStop() {
            if takeReloadRequest() { _ = reloadRules() }
            try serveOnce(maximumWaitMilliseconds: 100)
        }
        try finishCRMWrites()
    }

    /// Serves only admin requests (the stores' replays and progress reports) until every CRM store waited for has
    /// written every event published.
    private func finishCRMWrites() throws {
        customerFeed?.stop()
        guard crmStore != nil || !followingStores.isEmpty else { return }
        crmStore?.handoff.hand(&turnEvents)
        let deadline = ContinuousClock.now + .seconds(configuration.shutdownFlushSeconds)
        while let slowest = slowestStoreWrittenThrough(), slowest < replay.lastSequence, ContinuousClock.now < deadline {
            if try ZMQPoller.poll([admin], timeout: 20)[0] {
                while try serve(admin, handle: handleAdminRequest) {}
                sendOutbox()
            }
        }
        if let crmStore {
            let written = crmStore.progress.writtenThrough(of: streamID)
            crmStore.stop()
            if written < replay.lastSequence {
                logger.error("CRM store stopped at event \(written) of \(replay.lastSequence): the rest is not in the call cards")
            } else {
                logger.info("CRM store wrote every event (\(written))")
            }
        }
        let now = ContinuousClock.now
        for store in followingStores.stores where followingStores.counts(store, at: now) {
            if store.writtenThrough < replay.lastSequence {
                logger.error("CRM store \(store.name) had written event \(store.writtenThrough) of \(replay.lastSequence) at stop: the rest is not in its call cards")
            }
        }
    }

    /// Reads the rules again and swaps them in; a bad rule set is refused, its errors logged, the old one kept.
    public func reloadRules() -> ProtocolError? {
        let rules: RuleSet
        do {
            rules = try loadRules()
        } catch {
            logger.error("rules not reloaded; keeping the current ones:\n\(error)")
            count("invalid_rules")
            return ProtocolError(code: "invalid_rules", message: "\(error)")
        }
        let produced = run(.replaceRules(rules))
        publish(produced)
        let refusal = turnEvents[produced].lazy.compactMap { event -> ProtocolError? in
            guard case .commandRejected(let code, let message) = event.kind else { return nil }
            return ProtocolError(code: code.rawValue, message: message)
        }.first
        sendOutbox()
        if let refusal {
            logger.error("rules not reloaded; keeping the current ones: \(refusal.message)")
            return refusal
        }
        logger.info("rules reloaded: tenants \(rules.tenants.map(\.name).joined(separator: ", "))")
        return nil
    }

    /// Waits for requests (or the next timer), fires due timers, and handles every request already queued; sends
    /// the replies and events of the turn at its end.
    public func serveOnce(maximumWaitMilliseconds: Int) throws {
        defer { sendOutbox() }
        var timeout = maximumWaitMilliseconds
        if let due = engine.nextTimerDue {
            timeout = Int(max(0, min(Int64(timeout), due.milliseconds - clock().milliseconds)))
        }
        let takingContacts = updateIntake()
        if !takingContacts { timeout = min(timeout, Self.intakeRecheckMilliseconds) }
        // Events kept for the store are handed at the end of a turn: a quiet daemon must still take turns.
        if crmStore != nil, !turnEvents.isEmpty { timeout = min(timeout, Self.handoffRetryMilliseconds) }
        // A paused contacts socket is left out of the poll: it would report its waiting requests at once, every turn.
        var ready = try ZMQPoller.poll(takingContacts ? [contacts, agents, admin, events] : [agents, admin, events], timeout: timeout)
        if !takingContacts { ready.insert(false, at: 0) }
        try takeSubscriptions()
        if let customerFeed { for changes in customerFeed.take() { customers.apply(changes) } }
        fireTimers()
        logOutSilentDesktops()
        noteSilentStores()
        publishQueueStatistics()
        // A bounded batch per socket keeps one busy client from starving the others.
        for _ in 0..<256 where ready[0] { guard try serve(contacts, handle: handleContactRequest) else { break } }
        for _ in 0..<256 where ready[1] { guard try serve(agents, handle: handleAgentRequest) else { break } }
        for _ in 0..<64 where ready[2] { guard try serve(admin, handle: handleAdminRequest) else { break } }
    }

    /// While intake is paused, how often the store's progress is looked at again.
    static let intakeRecheckMilliseconds = 2
    /// While events wait in the outbox for the in-process store to take the last ones, how often a quiet daemon
    /// tries to hand them (the store takes every 5 ms, `CRMStoreFollower.flushInterval`).
    static let handoffRetryMilliseconds = 5

    /// Pauses intake once the slowest CRM store waited for lags `crmMaximumLagEvents` behind the events published,
    /// and resumes it once that store is within half of that; true while contacts are read. A store that stopped
    /// (the in-process one's database failed, logged where it failed) or went silent does not stop routing.
    private func updateIntake() -> Bool {
        guard crmStore != nil || !followingStores.isEmpty else { return true }
        let lag = slowestStoreWrittenThrough(countingApplied: true).map(eventsPublished(after:)) ?? 0
        let limit = UInt64(configuration.crmMaximumLagEvents)
        // A quarter of the way to a pause, an in-process store still at `SCHED_IDLE` is starved, not slow: raised
        // now, it catches up before intake has to wait for it.
        if let crmStore, crmStore.isRunning, eventsPublished(after: crmStore.progress.appliedThrough(of: streamID)) >= limit / 4 {
            crmStore.boost.boost()
        }
        if let since = intakePausedSince {
            if lag <= limit / 2 {
                intakePausedSince = nil
                intakePausedTotal += ContinuousClock.now - since
            }
        } else if lag >= limit {
            intakePauses += 1
            intakePausedSince = ContinuousClock.now
            if lastIntakePauseWarning.map({ ContinuousClock.now - $0 > .seconds(10) }) ?? true {
                lastIntakePauseWarning = ContinuousClock.now
                logger.warning("CRM store \(lag) events behind: new contacts wait until it catches up (\(intakePauses) pauses so far)")
            }
        }
        return intakePausedSince == nil
    }

    /// How many events were published after `sequence`: how far behind a store that has written through it is.
    private func eventsPublished(after sequence: UInt64) -> UInt64 {
        replay.lastSequence - min(sequence, replay.lastSequence)
    }

    /// How far the slowest CRM store the daemon waits for has written: the in-process one while it runs, and the
    /// reporting ones that count; nil when there is none. `countingApplied` counts what the in-process store has
    /// applied in its open transaction too: how far behind it is, rather than what the replay buffer must keep.
    private func slowestStoreWrittenThrough(countingApplied: Bool = false) -> UInt64? {
        var slowest: UInt64?
        if let crmStore, crmStore.isRunning {
            slowest = countingApplied
                ? crmStore.progress.appliedThrough(of: streamID) : crmStore.progress.writtenThrough(of: streamID)
        }
        if !followingStores.isEmpty, let outside = followingStores.slowestWrittenThrough(at: .now) {
            slowest = min(slowest ?? .max, outside)
        }
        return slowest
    }

    private func noteSilentStores() {
        guard !followingStores.isEmpty else { return }
        for store in followingStores.takeNewlySilent(at: .now) {
            logger.warning("""
                CRM store \(store.name) silent for over \(followingStores.silence) at event \(store.writtenThrough): no longer \
                waited for; when it comes back it fetches what it missed from the replay buffer, if the buffer still has it
                """)
        }
    }

    /// Once a second, each queue's statistics under `stats.<tenant>.<queue>`, for wallboards. Not events: they
    /// carry no sequence number, and a missed one is simply replaced by the next.
    private func publishQueueStatistics() {
        let now = clock()
        guard now >= nextStatisticsPush else { return }
        nextStatisticsPush = now.adding(milliseconds: 1000)
        for statistics in engine.allQueueStatistics() {
            let topic = EventTopics.statistics(tenant: statistics.tenant, queue: statistics.queue)
            let topicBytes = Array(topic.utf8)
            guard subscriptions.wants(topicBytes) else { continue }
            let payload = WireCodec.encode(Acd_V1_QueueStatistics(statistics), as: .binary)
            do {
                try events.send([topicBytes, payload], dontWait: true)
            } catch {
                logger.error("publishing statistics of \(topic) failed: \(error)")
            }
        }
    }

    /// Once a second: force the logout of agents whose desktop has been silent past the heartbeat timeout.
    private func logOutSilentDesktops() {
        guard heartbeatTimeoutMilliseconds > 0 else { return }
        let now = clock()
        guard now >= nextHeartbeatSweep else { return }
        nextHeartbeatSweep = now.adding(milliseconds: 1000)
        let silent = lastHeardFrom.keysAndValues
            .filter { now.milliseconds(since: $0.value) > heartbeatTimeoutMilliseconds }.map(\.key).sorted()
        for agent in silent {
            lastHeardFrom[agent] = nil
            logger.warning("agent \(agent) missed its heartbeats; logging it out")
            publish(run(.logout(agent, force: true)))
        }
    }

    /// Reads the (un)subscriptions the events socket passed up since the last call.
    private func takeSubscriptions() throws {
        while let frames = try events.receive(dontWait: true) {
            for frame in frames where !subscriptions.apply(frame) { count("bad_subscription") }
        }
    }

    private func fireTimers() {
        let start = turnEvents.count
        engine.advance(to: clock(), into: &turnEvents)
        publish(start..<turnEvents.count)
    }

    /// Receives one request from `socket` if any, replies with the same envelope; false when none was queued.
    /// `handle` answers a payload with its events, and puts the reply in its second argument, in place of what it
    /// held.
    private func serve(_ socket: ZMQSocket, handle: ([UInt8], inout [UInt8]) -> Range<Int>) throws -> Bool {
        guard let (slot, frameCount) = try outbox.receiveRequest(from: socket), frameCount >= 2 else { return false }
        requestCount += 1
        fireTimers()
        let produced = handle(outbox.replies[slot].frames[frameCount - 1], &nextReply)
        // The reply takes the request's place after its routing frames, and the request's storage is the next
        // reply's: once both have grown to the sizes that come, no request or reply allocates. A new array per
        // reply, left in the frame a later request is received into, was two allocations and a copy per request.
        swap(&outbox.replies[slot].frames[frameCount - 1], &nextReply)
        outbox.replyCount += 1
        publish(produced)
        if outbox.replyCount >= Self.requestsPerSend { sendOutbox() }
        return true
    }

    /// At most this many requests' replies and events wait in the outbox. Only a saturated daemon fills it (at
    /// half its maximum a turn serves a few requests); there, larger batches mean fewer system calls: 38,000
    /// contacts/s were sustained with 64 and 256 and not with 16 (`acd-bench e2e --fixed-rate 38000`), and 64
    /// keeps the first request's wait near a millisecond.
    static let requestsPerSend = 64

    /// Sends what the outbox holds: the events first (an offer is what a waiting caller needs), then the replies.
    private func sendOutbox() {
        // Until the store has taken the events handed last, the new ones stay for a later turn.
        if let crmStore { crmStore.handoff.handIfTaken(&turnEvents) } else { turnEvents.removeAll(keepingCapacity: true) }
        sendEvents()
        for reply in outbox.replies[..<outbox.replyCount] {
            do {
                // Never block the routing thread on one slow client: its reply is dropped, counted and logged.
                if try !reply.socket.send(reply.frames[..<reply.count], dontWait: true) {
                    count("reply_dropped")
                    logger.warning("reply dropped: the client's queue is full")
                }
            } catch {
                logger.error("reply not sent: \(error)")
            }
        }
        outbox.removeAll()
    }

    /// Sends the outbox's topic messages, and only those.
    private func sendEvents() {
        for message in outbox.messages[..<outbox.messageCount] {
            do {
                try send(message)
            } catch {
                logger.error("publishing under \(String(decoding: message.topic, as: UTF8.self)) failed: \(error)")
            }
        }
        outbox.removeMessages()
    }

    /// The topic, then the events' bytes from the replay buffer in one batch frame (`PublishedEvents`). libzmq
    /// refuses a message, if at all, at its first frame; a refused one is dropped whole, as what a slow subscriber
    /// cannot take is, and the subscriber catches up by sequence number.
    private func send(_ message: Outbox.TopicMessage) throws(ZMQError) {
        guard try events.sendFrame(message.topic, more: true, dontWait: true) else { return }
        batchFrame.removeAll(keepingCapacity: true)
        for index in 0..<message.count {
            PublishedEvents.append(replay.payload(of: message.events[index]), to: &batchFrame)
        }
        try events.sendFrame(batchFrame, more: false, dontWait: true)
    }

    /// Applies `command` and returns where its events are in `turnEvents`.
    private func run(_ command: Command) -> Range<Int> {
        let start = turnEvents.count
        engine.handle(command, now: clock(), into: &turnEvents)
        let produced = start..<turnEvents.count
        for case .commandRejected(let code, _) in turnEvents[produced].lazy.map(\.kind) { count(code.rawValue) }
        return produced
    }

    /// The range of no events, for a request that ran no command.
    private var noEvents: Range<Int> { turnEvents.endIndex..<turnEvents.endIndex }

    private func count(_ code: String) {
        errorCounts[code, default: 0] += 1
    }

    /// Decodes a request, answers it with `answer`, and turns every failure into an error reply in the
    /// request's encoding (or, when it could not be decoded, the encoding it looks like). The reply goes in `reply`;
    /// the range of the events in `turnEvents` is returned.
    private func respond<Request: IdentifiedRequest, Reply: ErrorCarryingReply>(
        to payload: [UInt8], as _: Request.Type, reply: inout [UInt8],
        with answer: (Request) throws(ProtocolError) -> (Reply, Range<Int>)
    ) -> Range<Int> {
        let request: Request
        let encoding: WireEncoding
        if payload.count > configuration.maximumMessageBytes {
            count("message_too_large")
            let error = ProtocolError(
                code: "message_too_large",
                message: "request of \(payload.count) bytes; the limit is \(configuration.maximumMessageBytes)")
            reply = WireCodec.encode(Reply(requestID: "", error: error), as: WireEncoding.guess(payload))
            return noEvents
        }
        do {
            (request, encoding) = try WireCodec.decode(payload, as: Request.self)
        } catch {
            count(error.code)
            reply = WireCodec.encode(Reply(requestID: "", error: error), as: WireEncoding.guess(payload))
            return noEvents
        }
        do {
            let (answered, produced) = try answer(request)
            reply = WireCodec.encode(answered, as: encoding)
            return produced
        } catch {
            count(error.code)
            reply = WireCodec.encode(Reply(requestID: request.requestID, error: error), as: encoding)
            return noEvents
        }
    }

    private func handleContactRequest(_ payload: [UInt8], reply: inout [UInt8]) -> Range<Int> {
        if payload.count <= configuration.maximumMessageBytes, let frame = ContactRequestFrame(binary: payload) {
            return answer(frame, reply: &reply)
        }
        return respond(to: payload, as: Acd_V1_ContactRequest.self, reply: &reply) { request throws(ProtocolError) in
            var profile = CustomerProfile.unknownCaller
            if case .submit(let submit)? = request.body { profile = customerProfile(submit) }
            switch try request.action(profile: profile) {
            case .command(let command):
                let produced = run(command)
                return (Acd_V1_ContactReply(requestID: request.requestID, events: turnEvents[produced]), produced)
            case .status(let id):
                return (Acd_V1_ContactReply(requestID: request.requestID, status: engine.contactStatus(id), id: id), noEvents)
            }
        }
    }

    /// The hand-decoded path of `handleContactRequest`: the same commands and replies, without the messages.
    private func answer(_ frame: ContactRequestFrame, reply: inout [UInt8]) -> Range<Int> {
        var profile = CustomerProfile.unknownCaller
        if case .submit(let submit) = frame.body { profile = customerProfile(customerID: submit.customerID, ani: submit.ani) }
        do {
            let produced = run(try frame.command(profile: profile))
            HotReplies.contactReply(requestID: frame.requestID, events: turnEvents[produced], into: &reply)
            return produced
        } catch {
            count(error.code)
            reply = WireCodec.encode(Acd_V1_ContactReply(requestID: frame.requestID, error: error), as: .binary)
            return noEvents
        }
    }

    private func customerProfile(_ submit: Acd_V1_SubmitContact) -> CustomerProfile {
        customerProfile(customerID: submit.customerID, ani: submit.ani)
    }

    /// The caller's CRM profile from the cache, or a default one naming the caller for an unknown caller.
    private func customerProfile(customerID: String, ani: String) -> CustomerProfile {
        let id = customerID.isEmpty ? nil : customerID
        let ani = ani.isEmpty ? nil : ani
        if let known = customers.profile(customerID: id, ani: ani) {
            customerHits += 1
            return known
        }
        customerMisses += 1
        return CustomerProfile(customerID: id ?? ani)
    }

    private func handleAgentRequest(_ payload: [UInt8], reply: inout [UInt8]) -> Range<Int> {
        if payload.count <= configuration.maximumMessageBytes, let frame = AgentRequestFrame(binary: payload) {
            let (failure, produced) = answer(frame.action, from: frame.agentID)
            if let failure {
                reply = WireCodec.encode(Acd_V1_AgentReply(requestID: frame.requestID, error: failure), as: .binary)
            } else {
                HotReplies.agentReply(requestID: frame.requestID, events: turnEvents[produced], into: &reply)
            }
            return produced
        }
        return respond(to: payload, as: Acd_V1_AgentRequest.self, reply: &reply) { request throws(ProtocolError) in
            let (failure, produced) = answer(try request.action(), from: AgentID(request.agentID))
            return (failure.map { Acd_V1_AgentReply(requestID: request.requestID, error: $0) }
                ?? Acd_V1_AgentReply(requestID: request.requestID, events: turnEvents[produced]), produced)
        }
    }

    /// Carries out an agent request, whichever decoder read it: the events, or the error a heartbeat gets.
    private func answer(_ action: AgentRequestAction, from agent: AgentID) -> (failure: ProtocolError?, events: Range<Int>) {
        switch action {
        case .command(let command):
            let produced = run(command)
            noteDesktop(agent, after: command, produced: produced)
            return (nil, produced)
        case .heartbeat:
            guard lastHeardFrom[agent] != nil else {
                return (ProtocolError(code: "agent_not_logged_in", message: "agent '\(agent)' is not logged in"), noEvents)
            }
            lastHeardFrom[agent] = clock()
            return (nil, noEvents)
        }
    }

    /// Any accepted request from a logged-in desktop counts as a heartbeat; logout ends the tracking.
    private func noteDesktop(_ agent: AgentID, after command: Command, produced: Range<Int>) {
        let refused = turnEvents[produced].contains { if case .commandRejected = $0.kind { true } else { false } }
        switch command {
        case .logout where !refused: lastHeardFrom[agent] = nil
        case .login where !refused: lastHeardFrom[agent] = clock()
        default:
            // One lookup: a desktop's accept, complete and the like come by the thousand per second.
            if !refused { lastHeardFrom.replaceValue(of: agent, with: clock()) }
        }
    }

    private func handleAdminRequest(_ payload: [UInt8], reply: inout [UInt8]) -> Range<Int> {
        return respond(to: payload, as: Acd_V1_AdminRequest.self, reply: &reply) { request throws(ProtocolError) in
            switch try request.action() {
            case .command(let command):
                let produced = run(command)
                return (Acd_V1_AdminReply(requestID: request.requestID, events: turnEvents[produced]), produced)
            case .statistics(let tenant):
                let reply = Acd_V1_AdminReply(
                    requestID: request.requestID,
                    queues: engine.allQueueStatistics().filter { tenant == nil || $0.tenant == tenant },
                    agents: engine.allAgentStatistics().filter { tenant == nil || $0.tenant == tenant },
                    daemon: daemonStatistics())
                return (reply, noEvents)
            case .replayEvents(let from, let maxEvents):
                let limit = maxEvents > 0 ? min(maxEvents, Self.replayBatchLimit) : Self.replayBatchLimit
                let batch = Acd_V1_EventBatch.with {
                    $0.streamID = streamID
                    $0.lastSequence = replay.lastSequence
                    $0.oldestSequence = replay.oldestSequence
                    $0.events = replay.events(from: from, limit: limit).map { Data($0) }
                }
                return (Acd_V1_AdminReply(requestID: request.requestID, batch: batch), noEvents)
            case .storeProgress(let store, let stream, let writtenThrough):
                guard stream == streamID else {
                    throw ProtocolError(code: "unknown_stream", message: "this daemon publishes stream \(streamID), not \(stream)")
                }
                let written = min(writtenThrough, replay.lastSequence)
                if followingStores.record(store, writtenThrough: written, at: .now) {
                    logger.info("CRM store \(store) follows this run, written through event \(written)")
                }
                return (Acd_V1_AdminReply(requestID: request.requestID, events: []), noEvents)
            case .reloadRules:
                let failure = reloadRules()
                return (failure.map { Acd_V1_AdminReply(requestID: request.requestID, error: $0) }
                    ?? Acd_V1_AdminReply(requestID: request.requestID, events: []), noEvents)
            }
        }
    }

    static let replayBatchLimit = 4096

    private func daemonStatistics() -> Acd_V1_DaemonStatistics {
        .with {
            $0.streamID = streamID
            $0.lastSequence = replay.lastSequence
            $0.requests = UInt64(requestCount)
            $0.errors = errorCounts.mapValues(Int64.init)
            $0.customersCached = Int64(customers.count)
            $0.customerHits = customerHits
            $0.customerMisses = customerMisses
            if let crmStore, crmStore.progress.stream == streamID {
                $0.crmWrittenThrough = crmStore.progress.writtenThrough
                $0.crmHandoffDropped = crmStore.handoff.droppedEvents
                $0.crmLostEvents = crmStore.progress.lostEvents
                $0.crmStoreCompetingMs = crmStore.boost.competingMilliseconds
            }
            let now = ContinuousClock.now
            $0.crmIntakePauses = intakePauses
            let paused = intakePausedTotal + (intakePausedSince.map { now - $0 } ?? .zero)
            $0.crmIntakePausedMs = UInt64(paused / .milliseconds(1))
            $0.followingStores = followingStores.stores.map { store in
                .with {
                    $0.store = store.name
                    $0.writtenThrough = store.writtenThrough
                    $0.silentMs = UInt64(max(.zero, now - store.lastReport) / .milliseconds(1))
                    $0.counted = followingStores.counts(store, at: now)
                }
            }
        }
    }

    /// Publishes the events `turnEvents[produced]`: keeps them for replays, and adds each to the outbox's message
    /// for every topic that has a subscriber. The CRM store is handed them at the end of the turn.
    private func publish(_ produced: Range<Int>) {
        for index in produced {
            if replay.isFull, let slowest = slowestStoreWrittenThrough(), slowest < replay.oldestSequence {
                replay.doubleCapacity()
                logger.warning("replay buffer doubled to \(replay.capacity) events: a CRM store has not written the oldest")
            }
            // The outbox sends its events' bytes from the replay buffer: one it still holds must not be dropped.
            // The replies stay: the request being served may own the next one's place.
            if replay.isFull, replay.oldestSequence >= outbox.firstEventSequence { sendEvents() }
            // The event's kind is read out once, and the encoder and the topics take it apart where it lies: a loop
            // variable, and a switch over the event in each of them, copied every event three times (bench/README.md,
            // session 20).
            let sequence = turnEvents[index].sequence
            let kind = turnEvents[index].kind
            replay.append(encodingScratch.encode(sequence: sequence, at: turnEvents[index].at, kind: kind, streamID: streamID))
            EventTopics.forEachTopic(of: kind) { topic in
                if subscriptions.wants(topic) { outbox.add(sequence, under: topic) }
            }
        }
    }
}

/// What the routing thread sends at the end of a turn of its loop. Sent as they came, the replies and events of a
/// busy daemon each woke libzmq's I/O thread and left in a TCP write of their own; held for the turn, several
/// leave together, and each topic gets one message for all the events of the turn (its topic frame, then a batch
/// of the events in sequence order) instead of one per command.
private struct Outbox {
    /// The turn's replies, `replies[..<replyCount]`, each in the frames its request came in. As with `messages`,
    /// the ones past the count are last turns', kept so that a request is received into their frames' storage.
    var replies: [Reply] = []
    var replyCount = 0
    /// The turn's messages, one per topic: `messages[..<messageCount]`. The ones past the count are last turns',
    /// kept with their frames' storage: emptying and regrowing every message each turn (frees, allocations,
    /// array growth) was about a tenth of the routing thread's instructions (callgrind, bench/README.md).
    var messages: [TopicMessage] = []
    var messageCount = 0
    /// This turn's topics to their message; `messageIndex` finds a topic's message.
    var messageIndex = CheapHashTable<EventTopic, Int>()
    var lastTopicOfFamily = [(topic: EventTopic, index: Int)?](repeating: nil, count: EventTopics.families.count)

    /// The smallest sequence number of an event in `messages`; `UInt64.max` when there is none. Events come in
    /// sequence order, so it is the first of the first message.
    var firstEventSequence: UInt64 { messageCount > 0 ? messages[0].events[0] : .max }

    /// A topic frame, then a batch frame of the events `events[..<count]` in sequence order, put together from the
    /// replay buffer. Sequence numbers past the count are stale, overwritten as the message fills up again.
    struct TopicMessage {
        var key: EventTopic
        var topic: [UInt8]
        var events: [UInt64]
        var count: Int

        mutating func append(_ sequence: UInt64) {
            if count < events.count {
                events[count] = sequence
            } else {
                events.append(sequence)
            }
            count += 1
        }
    }

    /// The topic's bytes are built once, when the turn's first event under it opens its message. The events of
    /// one command mostly go to the topics of the one before (the same agent, the same contact): the last topic
    /// of the family is compared before the index is hashed.
    mutating func add(_ sequence: UInt64, under topic: EventTopic) {
        let family = topic.family
        if let last = lastTopicOfFamily[family], last.topic.isSameKey(as: topic) {
            messages[last.index].append(sequence)
        } else if let index = messageIndex[topic] {
            messages[index].append(sequence)
            lastTopicOfFamily[family] = (topic, index)
        } else {
            let index = messageCount
            messageIndex[topic] = index
            lastTopicOfFamily[family] = (topic, index)
            if index < messages.count {
                messages[index].key = topic
                messages[index].topic = topic.bytes
                messages[index].count = 0
                messages[index].append(sequence)
            } else {
                messages.append(TopicMessage(key: topic, topic: topic.bytes, events: [sequence], count: 1))
            }
            messageCount += 1
        }
    }

    /// A struct, not a tuple: an array of tuples is destroyed through the runtime's generic tuple witness.
    struct Reply {
        var socket: ZMQSocket
        /// `frames[..<count]`: the request's routing frames, then its payload, which the reply replaces.
        var frames: [[UInt8]]
        var count: Int
    }

    /// Receives a request from `socket` into the next reply's frames; returns that reply's index and its number of
    /// frames, or nil when none was queued. The reply counts once the caller has put its payload in.
    mutating func receiveRequest(from socket: ZMQSocket) throws(ZMQError) -> (slot: Int, frames: Int)? {
        if replyCount == replies.count { replies.append(Reply(socket: socket, frames: [], count: 0)) }
        guard let count = try socket.receive(into: &replies[replyCount].frames, dontWait: true) else { return nil }
        replies[replyCount].socket = socket
        replies[replyCount].count = count
        return (replyCount, count)
    }

    mutating func removeAll() {
        replyCount = 0
        removeMessages()
    }

    mutating func removeMessages() {
        for index in 0..<messageCount { messageIndex[messages[index].key] = nil }
        messageCount = 0
        for family in lastTopicOfFamily.indices { lastTopicOfFamily[family] = nil }
    }
}
