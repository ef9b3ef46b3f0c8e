import ACDProtocol
import Foundation
import Logging
import RoutingCore
import SwiftProtobuf
import ZeroMQ

/// The CRM store's loop: takes every event of the daemon in order and writes them through a `CallCardWriter`.
/// The events come live either from a subscription to the daemon's events endpoint (topic `all`; `acdd crm-store`
/// beside the daemon) or from the daemon's `EventHandoff` (the store on a thread of the daemon, the default). A gap
/// in the sequence numbers (a slow subscriber's dropped messages, a full handoff, a late start, a restart of either
/// side) is filled from the daemon's replay buffer over the admin endpoint, so that each event is written once:
/// none lost while the buffer still holds it, none twice thanks to the cursor.
public final class CRMStoreFollower {
    /// Where the live events come from.
    public enum Source {
        /// A subscription to the daemon's events endpoint. The store reports its progress over admin under `name`
        /// (unique among the stores following the daemon), so that the daemon keeps what it has not written.
        case subscription(eventsEndpoint: String, name: String)
        /// The handoff of the daemon run `stream`, in the same process.
        case handoff(EventHandoff, stream: UInt64)
    }

    private let writer: CallCardWriter
    private let subscriber: ZMQSocket?
    private let handoff: (events: EventHandoff, stream: UInt64)?
    private let requester: ZMQSocket
    private let progress: CRMStoreProgress
    /// The name this store reports its progress under; nil for the in-process store, whose progress the daemon
    /// reads from `progress`.
    private let reportName: String?
    private var lastReport: (writtenThrough: UInt64, at: ContinuousClock.Instant)?
    private var reportsSent: UInt64 = 0
    private var reportRefusalLogged = false
    private let logger: Logger

    /// The daemon run followed; nil until it is known (from the handoff, or from a first replay reply).
    private var stream: UInt64?
    /// Events received in order after what the writer has written, not yet written; those of kinds this version
    /// does not know are left out, and `receivedThrough` passes over them.
    private var pending: [Event] = []
    /// The sequence number and time (Unix ms) of the last event received in order.
    private var receivedThrough: UInt64 = 0
    private var receivedAt: Int64 = 0
    private var handedOver: [Event] = []
    /// Handed-over events that came after a gap (the handoff was full), held while the replay buffer fills it:
    /// unlike a subscription's, they would not come again with the replay.
    private var held: [Event] = []
    private var priority: ThreadPriority?
    /// Copies the log back into the database while the store follows the stream (`run`).
    private var checkpointer: WALCheckpointer?
    /// For a store on a thread of the daemon: lets the routing thread raise it (nil for a store of its own process).
    private let boost: StorePriorityBoost?
    private var droppedSeen: UInt64 = 0
    private var outstandingReplay: (id: UInt64, sentAt: ContinuousClock.Instant)?
    private var replayRequests: UInt64 = 0
    private var lastHeard = ContinuousClock.now
    /// When the oldest event in `pending` arrived.
    private var pendingSince: ContinuousClock.Instant?
    /// When the writer's open transaction took its first events; nil when none is open.
    private var uncommittedSince: ContinuousClock.Instant?

    static let batchLimit = 4096
    /// How long an event may wait before it is written. One transaction per poll made the store write a few
    /// events at a time at high rates, each commit appending the same table pages to the WAL again; waiting a
    /// little lets one commit carry many events. Not longer: the longer the batch, the longer the store holds a
    /// CPU the routing thread may want (p99 of submit-to-offer at 8,000 contacts/s: 0.76–1.34 ms at 20 ms in four
    /// runs, 1.4–2.0 ms at 50 ms and 2.1–2.4 ms at 500 ms in two). 20 ms served until a machine fast enough to
    /// route 56,000 contacts/s at half load: a take of 20 ms of events there was over `caughtUpEvents`, so a store
    /// that once fell behind never went back to `idle` (bench/README.md, session 28).
    static let flushInterval = Duration.milliseconds(5)
    /// How long the store keeps adding its writes (the in-process store's takes, a separate store's batches) to one
    /// open transaction before it commits them; it commits at once when nothing new came. A commit has a cost of its
    /// own whatever it carries: `acd-bench crm --anonymous --batch 3240` wrote 546,000–560,000 contacts/s committing
    /// every write, 589,000–602,000 committing every fifth; at 72,000 contacts/s end to end the store and its
    /// checkpointer took 0.19–0.26 of a core with a commit per take, 0.18–0.23 with one per 25 ms (bench/README.md,
    /// session 29). Not longer: the transaction holds the database's write lock, and its cards are seen only once
    /// it commits.
    static let commitInterval = Duration.milliseconds(25)
    /// Events taken from the handoff at once past which the store is behind, and under which it has caught up
    /// again. A daemon publishes about nine events per contact: 16,384 are what three and a half `flushInterval`s
    /// bring at 100,000 contacts/s. At 65,536 (a fifth of a second at 44,000/s) a store starved at `SCHED_IDLE` on
    /// a full machine came within half the daemon's lag limit before it competed, and intake paused 9 or 10 times
    /// in 6 s at 48,000/s against 4 times at 16,384 (bench/README.md, session 20). Behind, the store writes
    /// `paced`; only far behind, past `farBehindEvents` (a quarter of the daemon's lag limit, where the routing
    /// thread raises a starved store), or missing events, does it write flat out, and then until it has caught up:
    /// flat out only from 65,536, or paced again at the next take under 32,768, a store near the machine's limit
    /// (80,000 contacts/s) fell behind until intake paused up to 9 and 13 times in 6 s (session 28).
    static let behindEvents = 16_384
    static let caughtUpEvents = 8_192
    static let farBehindEvents = 32_768
    static let idleProbe = Duration.seconds(1)
    /// A store that has written nothing new still reports this often, so the daemon knows it is there.
    static let reportInterval = Duration.milliseconds(500)
    static let replayTimeout = Duration.seconds(3)

    public init(
        database: CRMDatabase, source: Source, adminEndpoint: String, context: ZMQContext,
        progress: CRMStoreProgress, boost: StorePriorityBoost? = nil, logger: Logger
    ) throws(ZMQError) {
        self.boost = boost
        writer = CallCardWriter(database: database, holding: .standard, pacer: ThreadPriority.background.longWorkPacer)
        self.progress = progress
        self.logger = logger
        switch source {
        case .subscription(let eventsEndpoint, let name):
            reportName = name
            let subscriber = try ZMQSocket(context, type: .subscriber)
            try subscriber.setLinger(milliseconds: 0)
            try subscriber.setReceiveHighWaterMark(1_000_000)
            try subscriber.subscribe("all")
            try subscriber.connect(eventsEndpoint)
            self.subscriber = subscriber
            handoff = nil
        case .handoff(let events, let stream):
            reportName = nil
            subscriber = nil
            handoff = (events, stream)
        }
        requester = try ZMQSocket(context, type: .dealer)
        try requester.setLinger(milliseconds: 0)
        try requester.connect(adminEndpoint)
    }

    /// Follows the stream until `shouldStop` returns true (checked every 100 ms), then writes what it holds.
    public func run(until shouldStop: () -> Bool) throws {
        if let boost, let thread = currentKernelThreadID() { boost.register(thread: thread) }
        // A finished thread's id may name another thread later: the daemon must not raise that one.
        defer { boost?.register(thread: 0) }
        do {
            checkpointer = try WALCheckpointer(path: writer.database.path, logger: logger)
        } catch {
            logger.warning("\(error); the store's own commits checkpoint the CRM database instead")
        }
        defer { checkpointer?.stop() }
        if let handoff {
            // The handoff has every event of the run from the first: nothing to fetch unless it drops some.
            try follow(handoff.stream, fetchingMissing: false)
            while !shouldStop() {
                // The handoff gathers events meanwhile: one take per interval, one commit per `commitInterval`.
                if try ZMQPoller.poll([requester], timeout: Self.milliseconds(Self.flushInterval))[0] { try receiveReplies() }
                let took = try receiveHandedOver(from: handoff.events)
                // A take that brings nothing commits at once: the stream is quiet, and waiting would gain nothing.
                try flush(committing: !took)
                try probeWhenIdle()
            }
            try receiveHandedOver(from: handoff.events)
        } else if let subscriber {
            try requestReplay(from: 0)
            while !shouldStop() {
                var timeout = 100
                if let pendingSince {
                    // A write is due soon: let the events gather meanwhile instead of waking up for each message,
                    // which cost more (scheduler and poll) than handling the message. They wait in the socket's queue.
                    let left = pendingSince + Self.flushInterval - .now
                    // To the microsecond: slept in whole milliseconds, the wait's last fraction of one was spent
                    // polling with no timeout, about a tenth of a core at 83 contacts/s (session 30).
                    if left > .zero { Thread.sleep(forTimeInterval: left / .seconds(1)) }
                    timeout = 0
                } else if let uncommittedSince {
                    timeout = Self.milliseconds(uncommittedSince + Self.commitInterval - .now)
                }
                let ready = try ZMQPoller.poll([subscriber, requester], timeout: timeout)
                if ready[1] { try receiveReplies() }
                if ready[0] { try receiveEvents(from: subscriber) }
                if let pendingSince, ContinuousClock.now - pendingSince >= Self.flushInterval {
                    try flush(committing: false)
                } else if pendingSince == nil, writer.hasUncommittedWrites || writer.hasHeldCards {
                    // Nothing came since the last write: the stream is quiet, and waiting would gain nothing.
                    try flush()
                }
                try probeWhenIdle()
                try reportProgress()
            }
        }
        try flush()
    }

    /// Tells the daemon how far this store has written: after each write, and every `reportInterval` meanwhile.
    private func reportProgress() throws {
        guard let reportName, let stream else { return }
        let written = writer.writtenThrough
        if let lastReport, lastReport.writtenThrough == written, ContinuousClock.now - lastReport.at < Self.reportInterval { return }
        reportsSent += 1
        let request = Acd_V1_AdminRequest.with {
            $0.requestID = "crm-progress-\(reportsSent)"
            $0.storeProgress = .with {
                $0.store = reportName
                $0.streamID = stream
                $0.writtenThrough = written
            }
        }
        // A report the socket cannot take now is replaced by the next one.
        if try requester.send([try request.serializedBytes()], dontWait: true) { lastReport = (written, .now) }
    }

    /// A poll's timeout: rounded up, so that the poll does not end before the deadline; 0 for one already past.
    private static func milliseconds(_ duration: Duration) -> Int {
        guard duration > .zero else { return 0 }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let (seconds, attoseconds) = duration.components
        return Int(seconds * 1000 + (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond)
    }

    /// Takes what the handoff holds into `pending`, to be written by the next `flush`; false when it held nothing.
    @discardableResult
    private func receiveHandedOver(from events: EventHandoff) throws -> Bool {
        events.take(into: &handedOver)
        adjustPriority(backlog: handedOver.count, dropped: events.droppedEvents)
        guard !handedOver.isEmpty else { return false }
        lastHeard = .now
        if held.isEmpty, pending.isEmpty, let first = handedOver.first, first.sequence == receivedThrough + 1,
           handedOver[handedOver.count - 1].sequence == receivedThrough + UInt64(handedOver.count) {
            // In order and complete, as almost always: written as they came, without copying one by one.
            swap(&pending, &handedOver)
            receivedThrough = pending[pending.count - 1].sequence
            receivedAt = pending[pending.count - 1].at.milliseconds
        } else {
            for event in handedOver { try takeHandedOver(event) }
            handedOver.removeAll(keepingCapacity: true)
        }
        return true
    }

    private func takeHandedOver(_ event: Event) throws {
        let next = receivedThrough + 1
        if event.sequence < next { return }
        if held.isEmpty, event.sequence == next {
            try append(event, sequence: event.sequence, at: event.at.milliseconds)
            return
        }
        if held.isEmpty {
            logger.warning("events from \(next) on were not handed over (the store was behind): fetching them again")
            if outstandingReplay == nil { try requestReplay(from: next) }
        }
        held.append(event)
    }

    /// On the daemon's own machine the store yields the CPU to routing (`idle`) while it keeps up; once it falls
    /// behind it competes for the CPU as an equal in short runs (`paced`), and flat out (`catchingUp`) only far
    /// behind, so that a long busy spell does not starve it until the daemon pauses intake for it or the replay
    /// buffer loses events it never wrote. Where a thread cannot come back from `idle`, it stays `background`
    /// until it falls behind.
    private func adjustPriority(backlog: Int, dropped: UInt64) {
        if boost?.takeBoost() == true {
            priority = .paced
            writer.pacer = ThreadPriority.paced.longWorkPacer
        }
        guard let wanted = Self.priority(
            afterTaking: backlog, at: priority, newlyDropped: dropped > droppedSeen, replaying: outstandingReplay != nil,
            idleIsReversible: ThreadPriority.idleIsReversible) else { return }
        droppedSeen = dropped
        guard wanted != priority else { return }
        priority = wanted
        wanted.applyToCurrentThread()
        boost?.noteApplied(wanted)
        writer.pacer = wanted.longWorkPacer
    }

    /// The priority a store at `current` should take after taking `backlog` events from the handoff at once; nil
    /// to keep its own: between the thresholds of `paced` and `idle`, so that it does not switch at every take, and
    /// flat out until it has caught up, so that near the machine's limit it does not slow down again halfway.
    static func priority(
        afterTaking backlog: Int, at current: ThreadPriority?, newlyDropped: Bool, replaying: Bool, idleIsReversible: Bool
    ) -> ThreadPriority? {
        if backlog >= farBehindEvents || newlyDropped || replaying { return .catchingUp }
        if backlog >= behindEvents { return current == .catchingUp ? nil : .paced }
        if backlog <= caughtUpEvents, idleIsReversible { return .idle }
        return nil
    }

    private func receiveEvents(from subscriber: ZMQSocket) throws {
        for _ in 0..<Self.batchLimit {
            guard let frames = try subscriber.receive(dontWait: true) else { return }
            lastHeard = .now
            // The topic, then the batch of the events of one turn under it.
            for frame in frames.dropFirst() {
                let complete = try PublishedEvents.forEachEvent(inBatch: frame) { range in
                    guard let event = try? Acd_V1_Event(serializedBytes: Array(frame[range])) else {
                        logger.error("undecodable event skipped (\(range.count) bytes)")
                        return
                    }
                    try take(event, fromReplay: false)
                }
                if !complete { logger.error("malformed event batch: the rest of it skipped (\(frame.count) bytes)") }
            }
        }
    }

    private func receiveReplies() throws {
        while let frames = try requester.receive(dontWait: true) {
            lastHeard = .now
            guard let payload = frames.last, let reply = try? Acd_V1_AdminReply(serializedBytes: payload) else {
                logger.error("undecodable admin reply skipped")
                continue
            }
            if reply.requestID.hasPrefix("crm-progress-") {
                noteReplyToProgress(reply)
                continue
            }
            guard reply.requestID == outstandingReplay.map({ "crm-replay-\($0.id)" }) else { continue }
            outstandingReplay = nil
            switch reply.body {
            case .eventBatch(let batch)?:
                try take(batch)
            case .error(let error)?:
                logger.error("replay refused: \(error.code): \(error.message)")
            default:
                logger.error("unexpected reply to a replay request")
            }
        }
    }

    /// A daemon that refuses the reports (an older version, or another run than the one followed) is said once:
    /// the store goes on, but that daemon does not keep for it what it has not written.
    private func noteReplyToProgress(_ reply: Acd_V1_AdminReply) {
        guard case .error(let error)? = reply.body, !reportRefusalLogged else { return }
        reportRefusalLogged = true
        logger.warning("the daemon refused this store's progress report (\(error.code): \(error.message)); it may not keep the events this store has not written")
    }

    private func take(_ batch: Acd_V1_EventBatch) throws {
        if batch.streamID != stream {
            try follow(batch.streamID)
            return
        }
        let gapEnd = held.first?.sequence
        for bytes in batch.events {
            guard let event = try? Acd_V1_Event(serializedBytes: bytes) else {
                logger.error("undecodable replayed event skipped")
                continue
            }
            if let gapEnd, event.sequence >= gapEnd { break }
            try take(event, fromReplay: true)
        }
        guard let gapEnd else {
            if batch.lastSequence > receivedThrough { try requestReplay(from: receivedThrough + 1) }
            return
        }
        if receivedThrough + 1 < gapEnd, batch.oldestSequence >= gapEnd {
            try declareLost(from: receivedThrough + 1, through: gapEnd - 1)
        }
        if receivedThrough + 1 < gapEnd {
            try requestReplay(from: receivedThrough + 1)
            return
        }
        let released = held
        held.removeAll()
        for event in released { try takeHandedOver(event) }
    }

    private func take(_ event: Acd_V1_Event, fromReplay: Bool) throws {
        try take(Event(wire: event), sequence: event.sequence, at: event.atMs, stream: event.streamID, fromReplay: fromReplay)
    }

    /// Takes the event numbered `sequence` of `eventStream`; `event` is nil when its kind is unknown to this version.
    private func take(_ event: Event?, sequence: UInt64, at: Int64, stream eventStream: UInt64, fromReplay: Bool) throws {
        guard let stream else { return }
        guard eventStream == stream else {
            if !fromReplay { try follow(eventStream) }
            return
        }
        let next = receivedThrough + 1
        if sequence < next { return }
        if sequence > next {
            guard fromReplay else {
                // A gap: fetch what is missing; this event comes again with it.
                if outstandingReplay == nil { try requestReplay(from: next) }
                return
            }
            try declareLost(from: next, through: sequence - 1)
        }
        try append(event, sequence: sequence, at: at)
    }

    /// Takes the next event in order.
    private func append(_ event: Event?, sequence: UInt64, at: Int64) throws {
        if pendingSince == nil { pendingSince = .now }
        if let event { pending.append(event) }
        receivedThrough = sequence
        receivedAt = at
        if pending.count >= Self.batchLimit { try flush(committing: false) }
    }

    /// The replay buffer no longer holds these events: says so, and goes on after them.
    private func declareLost(from first: UInt64, through last: UInt64) throws {
        logger.error("events \(first)...\(last) of stream \(stream ?? 0) are lost: they left the daemon's replay buffer")
        progress.recordLoss(last - first + 1)
        receivedThrough = last
        try flush()
    }

    /// Starts following a daemon run: writes what is held of the previous one, and fetches what this run's cursor
    /// lacks.
    private func follow(_ newStream: UInt64, fetchingMissing: Bool = true) throws {
        try flush()
        stream = newStream
        let written = try writer.follow(stream: newStream)
        receivedThrough = written
        progress.record(stream: newStream, writtenThrough: written, appliedThrough: written)
        logger.info("following event stream \(newStream) after sequence \(written)")
        outstandingReplay = nil
        if fetchingMissing { try requestReplay(from: written + 1) }
    }

    /// Writes the events received and not written yet, and commits them with those of the open transaction, unless
    /// `committing` is false and that transaction is younger than `commitInterval`. Committing, it also saves every
    /// card held in progress: the stream is quiet or the store stops, and nothing is gained by waiting.
    private func flush(committing: Bool = true) throws {
        pendingSince = nil
        guard let stream, receivedThrough > writer.appliedThrough || writer.hasUncommittedWrites
            || (committing && writer.hasHeldCards) else { return }
        let commit = committing || uncommittedSince.map { ContinuousClock.now - $0 >= Self.commitInterval } == true
        try writer.write(
            taking: &pending, through: receivedThrough, at: receivedAt, commit: commit, savingHeldCards: committing)
        if commit {
            uncommittedSince = nil
            checkpointer?.commitDidHappen()
        } else if uncommittedSince == nil {
            uncommittedSince = .now
        }
        progress.record(stream: stream, writtenThrough: writer.writtenThrough, appliedThrough: writer.appliedThrough)
        // Time spent writing is not silence: the events meanwhile wait in the socket's queue or the handoff.
        lastHeard = .now
    }

    /// Silence may hide events published while nobody listened (a restart, a slow joiner) or that the handoff
    /// dropped at the end of a burst: ask for them.
    private func probeWhenIdle() throws {
        if let outstanding = outstandingReplay {
            if ContinuousClock.now - outstanding.sentAt > Self.replayTimeout {
                logger.warning("replay request unanswered; asking again")
                try requestReplay(from: stream == nil ? 0 : receivedThrough + 1)
            }
            return
        }
        guard ContinuousClock.now - lastHeard > Self.idleProbe else { return }
        lastHeard = .now
        // The handoff drops nothing while the store keeps up; a silence after a drop is the only case left.
        if let handoff, !held.isEmpty || handoff.events.latestSequence <= receivedThrough { return }
        try requestReplay(from: stream == nil ? 0 : receivedThrough + 1)
    }

    private func requestReplay(from sequence: UInt64) throws {
        replayRequests += 1
        let request = Acd_V1_AdminRequest.with {
            $0.requestID = "crm-replay-\(replayRequests)"
            $0.replayEvents = .with { $0.fromSequence = sequence }
        }
        let sent = try requester.send([try request.serializedBytes()], dontWait: true)
        outstandingReplay = sent ? (replayRequests, .now) : nil
    }
}
