import RoutingCore

/// Binary protobuf of a core event, written directly for the kinds a busy daemon publishes by the thousand
/// (queued, offered, accepted, connected, completed, state changes, ...): building an `Acd_V1_Event` and
/// serializing it through swift-protobuf's size and write passes was about a fifth of the routing thread's time
/// (perf, bench/README.md). The rare kinds that carry nested profiles (agent added, skills changed) still go
/// through swift-protobuf. The output decodes to exactly `Acd_V1_Event(event, streamID:)`; a test checks every
/// kind.
public enum EventEncoder {
    public static func encode(_ event: Event, streamID: UInt64) -> [UInt8] {
        // Most events fit: no regrowth, and no more room than a grown array keeps in the replay buffer.
        var writer = ProtobufWriter(capacity: 64)
        writer.uint64(1, event.sequence)
        writer.int64(2, event.at.milliseconds)
        switch event.kind {
        case .received(let id, let submission):
            writer.message(21) {
                $0.uint64(1, id.rawValue)
                $0.string(2, submission.tenant)
                $0.string(3, submission.queue)
                $0.int32(4, Int32(Acd_V1_Channel(submission.channel).rawValue))
                $0.string(5, submission.profile.customerID ?? "")
                $0.string(6, submission.profile.tier ?? "")
                $0.string(7, submission.profile.language ?? "")
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
            return WireCodec.encode(Acd_V1_Event(event, streamID: streamID), as: .binary)
        }
        writer.fixed64(30, streamID)
        return writer.bytes
    }
}

/// The few protobuf wire rules the event encoder needs. Proto3: a scalar at its default value is left out,
/// unless the field has explicit presence (`optional`) or is an element of a repeated field.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func tag(_ field: UInt64, wireType: UInt64) { varint(field << 3 | wireType) }

    mutating func uint64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(value)
    }

    mutating func int64(_ field: UInt64, _ value: Int64) {
        guard value != 0 else { return }
        tag(field, wireType: 0)
        varint(UInt64(bitPattern: value))
    }

    /// A negative `int32` is written sign-extended to 64 bits, as protobuf requires.
    mutating func int32(_ field: UInt64, _ value: Int32, evenIfZero: Bool = false) {
        guard value != 0 || evenIfZero else { return }
        tag(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, wireType: 1)
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ field: UInt64, _ value: String, evenIfEmpty: Bool = false) {
        guard !value.isEmpty || evenIfEmpty else { return }
        tag(field, wireType: 2)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A nested message; written even when empty, as a set `oneof` member is. Written in place after a one-byte
    /// length, which moves the message along in the rare case it is 128 bytes or longer.
    mutating func message(_ field: UInt64, _ body: (inout ProtobufWriter) -> Void) {
        tag(field, wireType: 2)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
        } else {
            var prefix = ProtobufWriter(capacity: 10)
            prefix.varint(UInt64(length))
            bytes.replaceSubrange(lengthAt..<lengthAt + 1, with: prefix.bytes)
        }
    }

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
