import ACDProtocol
import Foundation
import Logging
import SwiftProtobuf
import ZeroMQ

/// The CRM store's loop: subscribes to every event of the daemon (topic `all`) and writes them in order through a
/// `CallCardWriter`. A gap in the sequence numbers (a slow subscriber's dropped messages, a late start, a restart
/// of either side) is filled from the daemon's replay buffer over the admin endpoint, so that each event is
/// written once: none lost while the buffer still holds it, none twice thanks to the cursor. The same loop runs
/// inside the daemon on a thread of its own (the default) or as `acdd crm-store` beside it.
public final class CRMStoreFollower {
    private let writer: CallCardWriter
    private let subscriber: ZMQSocket
    private let requester: ZMQSocket
    private let progress: CRMStoreProgress
    private let logger: Logger

    /// The daemon run followed; nil until the daemon has answered a first replay request.
    private var stream: UInt64?
    /// Events received in order after what the writer has written, not yet written.
    private var pending: [Acd_V1_Event] = []
    private var outstandingReplay: (id: UInt64, sentAt: ContinuousClock.Instant)?
    private var replayRequests: UInt64 = 0
    private var lastHeard = ContinuousClock.now
    /// When the oldest event in `pending` arrived.
    private var pendingSince: ContinuousClock.Instant?

    static let batchLimit = 4096
    /// How long an event may wait in `pending` before it is written. One transaction per poll made the store
    /// write a few events at a time at high rates, each commit appending the same table pages to the WAL again;
    /// waiting a little lets one commit carry a contact's whole life, written as one row.
    static let flushInterval = Duration.milliseconds(50)
    static let idleProbe = Duration.seconds(1)
    static let replayTimeout = Duration.seconds(3)

    public init(
        database: CRMDatabase, eventsEndpoint: String, adminEndpoint: String, context: ZMQContext,
        progress: CRMStoreProgress, logger: Logger
    ) throws(ZMQError) {
        writer = CallCardWriter(database: database)
        self.progress = progress
        self.logger = logger
        subscriber = try ZMQSocket(context, type: .subscriber)
        try subscriber.setLinger(milliseconds: 0)
        try subscriber.setReceiveHighWaterMark(1_000_000)
        try subscriber.subscribe("all")
        try subscriber.connect(eventsEndpoint)
        requester = try ZMQSocket(context, type: .dealer)
        try requester.setLinger(milliseconds: 0)
        try requester.connect(adminEndpoint)
    }

    /// Follows the stream until `shouldStop` returns true (checked every 100 ms), then writes what it holds.
    public func run(until shouldStop: () -> Bool) throws {
        try requestReplay(from: 0)
        while !shouldStop() {
            var timeout = 100
            if let pendingSince {
                // A write is due soon: let the events gather meanwhile instead of waking up for each message, which
                // cost more (scheduler and poll) than handling the message. They wait in the socket's queue.
                let left = pendingSince + Self.flushInterval - .now
                if left > .zero { Thread.sleep(forTimeInterval: Self.seconds(left)) }
                timeout = 0
            }
            let ready = try ZMQPoller.poll([subscriber, requester], timeout: timeout)
            if ready[1] { try receiveReplies() }
            if ready[0] { try receiveEvents() }
            if let pendingSince, ContinuousClock.now - pendingSince >= Self.flushInterval { try flush() }
            try probeWhenIdle()
        }
        try flush()
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private var expected: UInt64 { writer.writtenThrough + UInt64(pending.count) + 1 }

    private func receiveEvents() throws {
        for _ in 0..<Self.batchLimit {
            guard let frames = try subscriber.receive(dontWait: true) else { return }
            lastHeard = .now
            // The topic, then the events of one command, one frame each.
            for frame in frames.dropFirst() {
                guard let event = try? Acd_V1_Event(serializedBytes: frame) else {
                    logger.error("undecodable event skipped (\(frame.count) bytes)")
                    continue
                }
                try take(event, fromReplay: false)
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

    private func take(_ batch: Acd_V1_EventBatch) throws {
        if batch.streamID != stream {
            try follow(batch.streamID)
            return
        }
        for bytes in batch.events {
            guard let event = try? Acd_V1_Event(serializedBytes: bytes) else {
                logger.error("undecodable replayed event skipped")
                continue
            }
            try take(event, fromReplay: true)
        }
        if batch.lastSequence >= expected { try requestReplay(from: expected) }
    }

    private func take(_ event: Acd_V1_Event, fromReplay: Bool) throws {
        guard let stream else { return }
        guard event.streamID == stream else {
            if !fromReplay { try follow(event.streamID) }
            return
        }
        let next = expected
        if event.sequence < next { return }
        if event.sequence > next {
            guard fromReplay else {
                // A gap: fetch what is missing; this event comes again with it.
                if outstandingReplay == nil { try requestReplay(from: next) }
                return
            }
            // The replay buffer no longer holds the missing events: say so, and go on after them.
            try flush()
            let lost = event.sequence - next
            logger.error("events \(next)...\(event.sequence - 1) of stream \(stream) are lost: they left the daemon's replay buffer")
            progress.recordLoss(lost)
            try writer.skipLost(through: event.sequence - 1, at: event.atMs)
        }
        if pending.isEmpty { pendingSince = .now }
        pending.append(event)
        if pending.count >= Self.batchLimit { try flush() }
    }

    /// Starts following a daemon run: flushes the previous one, and fetches what this run's cursor lacks.
    private func follow(_ newStream: UInt64) throws {
        try flush()
        stream = newStream
        let written = try writer.follow(stream: newStream)
        progress.record(stream: newStream, writtenThrough: written)
        logger.info("following event stream \(newStream) after sequence \(written)")
        outstandingReplay = nil
        try requestReplay(from: written + 1)
    }

    private func flush() throws {
        guard !pending.isEmpty, let stream else { return }
        try writer.write(pending)
        pending.removeAll(keepingCapacity: true)
        pendingSince = nil
        progress.record(stream: stream, writtenThrough: writer.writtenThrough)
    }

    /// Silence may hide events published while nobody listened (a restart, a slow joiner): ask for them.
    private func probeWhenIdle() throws {
        if let outstanding = outstandingReplay {
            if ContinuousClock.now - outstanding.sentAt > Self.replayTimeout {
                logger.warning("replay request unanswered; asking again")
                try requestReplay(from: stream == nil ? 0 : expected)
            }
            return
        }
        if ContinuousClock.now - lastHeard > Self.idleProbe {
            lastHeard = .now
            try requestReplay(from: stream == nil ? 0 : expected)
        }
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
