import RoutingCore

/// Binary protobuf of a core event, written directly for the kinds a busy daemon publishes by the thousand
/// (queued, offered, accepted, connected, completed, state changes, ...): building an `Acd_V1_Event` and
/// serializing it through swift-protobuf's size and write passes was about a fifth of the routing thread's time
/// (perf, bench/README.md). The rare kinds that carry nested profiles (agent added, skills changed) still go
/// through swift-protobuf. The output decodes to exactly `Acd_V1_Event(event, streamID:)`; a test checks every
/// kind.
public enum EventEncoder {
    public static func encode(_ event: Event, streamID: UInt64) -> [UInt8] {
        if event.kind.isEncodedByGeneratedCode { return WireCodec.encode(Acd_V1_Event(event, streamID: streamID), as: .binary) }
        return ProtobufWriter.bytes { write(sequence: event.sequence, at: event.at, kind: event.kind, streamID: streamID, into: &$0) }
    }

    /// Takes the kind apart where the caller holds it: a switch over an `Event` parameter copied the whole event
    /// first (`initializeWithCopy for Event`, bench/README.md, session 20).
    fileprivate static func write(
        sequence: UInt64, at: Instant, kind: borrowing EventKind, streamID: UInt64, into writer: inout ProtobufWriter
    ) {
        writer.uint64(1, sequence)
        writer.int64(2, at.milliseconds)
        switch kind {
        case .received(let id, let submission):
            // Read once: each read of a submission's field copies it out of the submission's storage.
            let profile = submission.profile
            writer.message(21) {
                $0.uint64(1, id.rawValue)
                $0.string(2, submission.tenant)
                $0.string(3, submission.queue)
                $0.int32(4, Int32(Acd_V1_Channel(submission.channel).rawValue))
                $0.string(5, profile.customerID ?? "")
                $0.string(6, profile.tier ?? "")
                $0.string(7, profile.language ?? "")
                $0.int32(8, Int32(clamping: submission.priority))
                // Map entries: each a nested message of key (1) and value (2).
                for (key, value) in submission.ivrData {
                    $0.message(9) {
                        $0.string(1, key)
                        $0.string(2, value)
                    }
                }
                for (skill, level) in submission.requiredSkills {
                    $0.message(10) {
                        $0.string(1, skill)
                        $0.int32(2, Int32(clamping: level))
                    }
                }
                $0.string(11, submission.callbackNumber ?? "")
                $0.string(12, submission.externalID ?? "")
            }
        case .queued(let id, let tenant, let queue, let position, let estimate):
            writer.message(3) {
                $0.uint64(1, id.rawValue)
                $0.string(2, tenant)
                $0.string(3, queue)
                $0.int32(4, Int32(clamping: position))
                if let estimate { $0.int32(5, Int32(clamping: estimate), evenIfZero: true) }
            }
        case .offered(let id, let agent, let queue, let expiresAt):
            writer.contactAgentQueueEvent(4, id, agent, queue, expiresAt.milliseconds)
        case .accepted(let id, let agent):
            writer.contactAgentEvent(5, id, agent)
        case .declined(let id, let agent):
            writer.contactAgentEvent(6, id, agent)
        case .offerTimedOut(let id, let agent):
            writer.contactAgentEvent(7, id, agent)
        case .connected(let id, let agent, let queue, let wait):
            writer.contactAgentQueueEvent(8, id, agent, queue, wait)
        case .completed(let id, let agent, let talk, let outcome):
            writer.message(9) {
                $0.uint64(1, id.rawValue)
                $0.string(2, agent.rawValue)
                $0.int64(3, talk)
                $0.string(4, outcome.rawValue)
            }
        case .wrapUpEnded(let id, let agent, let wrapUp):
            writer.message(10) {
                $0.uint64(1, id.rawValue)
                $0.string(2, agent.rawValue)
                $0.int64(3, wrapUp)
            }
        case .abandoned(let id, let queue, let wait, let outcome):
            writer.message(11) {
                $0.uint64(1, id.rawValue)
                $0.string(2, queue)
                $0.int64(3, wait)
                $0.string(4, outcome.rawValue)
            }
        case .overflowed(let id, let from, let to):
            writer.message(12) {
                $0.uint64(1, id.rawValue)
                $0.string(2, from)
                $0.string(3, to ?? "")
            }
        case .closed(let id, let tenant, let queue):
            writer.message(13) {
                $0.uint64(1, id.rawValue)
                $0.string(2, tenant)
                $0.string(3, queue)
            }
        case .callbackRequested(let id, let number):
            writer.message(14) {
                $0.uint64(1, id.rawValue)
                $0.string(2, number)
            }
        case .agentStateChanged(let agent, let state, let reason):
            writer.message(15) {
                $0.string(1, agent.rawValue)
                $0.string(2, state.description)
                $0.string(3, reason ?? "")
            }
        case .agentRemoved(let agent):
            writer.message(17) { $0.string(1, agent.rawValue) }
        case .rulesReplaced(let tenants):
            writer.message(19) { inner in
                for tenant in tenants { inner.string(1, tenant, evenIfEmpty: true) }
            }
        case .commandRejected(let code, let message):
            writer.message(20) {
                $0.string(1, code.rawValue)
                $0.string(2, message)
            }
        case .agentAdded, .skillsChanged:
            preconditionFailure("encoded by swift-protobuf")
        }
        writer.fixed64(30, streamID)
    }
}

extension ProtobufWriter {
    mutating func contactAgentEvent(_ field: UInt64, _ contact: ContactID, _ agent: AgentID) {
        message(field) {
            $0.uint64(1, contact.rawValue)
            $0.string(2, agent.rawValue)
        }
    }

    /// `ContactOffered` and `ContactConnected` share one layout: contact, agent, queue, then a time in ms.
    mutating func contactAgentQueueEvent(
        _ field: UInt64, _ contact: ContactID, _ agent: AgentID, _ queue: String, _ milliseconds: Int64
    ) {
        message(field) {
            $0.uint64(1, contact.rawValue)
            $0.string(2, agent.rawValue)
            $0.string(3, queue)
            $0.int64(4, milliseconds)
        }
    }
}

/// Memory an event publisher encodes its events in, one after the other: as `EventEncoder.encode(_:streamID:)`
/// without the array per event, and without the closure that would copy each event it captured. Used by one
/// thread at a time.
public final class EventEncodingScratch {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes of the event of this sequence number, time and kind, valid until the next call. For a publisher
    /// that reads each event's kind out once and hands it on, here and to its topics, without copying it again.
    public func encode(sequence: UInt64, at: Instant, kind: borrowing EventKind, streamID: UInt64) -> UnsafeRawBufferPointer {
        if kind.isEncodedByGeneratedCode {
            let bytes = EventEncoder.encode(Event(sequence: sequence, at: at, kind: copy kind), streamID: streamID)
            if bytes.count > capacity { grow(to: bytes.count) }
            base.update(from: bytes, count: bytes.count)
            return UnsafeRawBufferPointer(start: base, count: bytes.count)
        }
        while true {
            var writer = ProtobufWriter(base: base, capacity: capacity)
            EventEncoder.write(sequence: sequence, at: at, kind: kind, streamID: streamID, into: &writer)
            if let written = writer.written { return written }
            grow(to: capacity * 2)
        }
    }

    private func grow(to newCapacity: Int) {
        base.deallocate()
        capacity = newCapacity
        base = .allocate(capacity: newCapacity)
    }
}

extension EventKind {
    /// The kinds that carry nested profiles, which only swift-protobuf's generated code encodes.
    var isEncodedByGeneratedCode: Bool {
        switch self {
        case .agentAdded, .skillsChanged: true
        default: false
        }
    }
}
