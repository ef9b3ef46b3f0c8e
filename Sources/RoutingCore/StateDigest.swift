/// A 64-bit FNV-1a digest of the routing state, stable across processes (unlike `Hasher`), so a replay can
/// be compared with the original run.
public struct StateDigest: Hashable, Sendable, CustomStringConvertible {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ number: UInt64) {
        var n = number
        for _ in 0..<8 {
            value = (value ^ (n & 0xFF)) &* 0x0000_0100_0000_01B3
            n >>= 8
        }
    }

    mutating func add(_ number: Int64) { add(UInt64(bitPattern: number)) }
    mutating func add(_ number: Int) { add(Int64(number)) }
    mutating func add(_ number: Double) { add(number.bitPattern) }
    mutating func add(_ text: String) {
        add(text.utf8.count)
        for byte in text.utf8 { add(UInt64(byte)) }
    }

    public var description: String { String(value, radix: 16) }
}

extension RoutingEngine {
    /// Digest of everything that decides future routing: agents, contacts and their places, counters, clock.
    public func stateDigest() -> StateDigest {
        var digest = StateDigest()
        digest.add(nextSequence)
        digest.add(nextContactNumber)
        digest.add(now.milliseconds)
        digest.add(random.state)
        for (a, agent) in agents.enumerated() where agent.isLive {
            digest.add(a)
            digest.add(agent.id.rawValue)
            digest.add(agent.state.rawValue)
            digest.add(agent.stateReason ?? "")
            digest.add(agent.handledTotal)
            digest.add(agent.talkMilliseconds)
            digest.add(agent.availableSince.milliseconds)
            digest.add(agent.occupancy.busy)
            for slot in agent.work { digest.add(Int(slot)) }
            for membership in agent.lanes { digest.add(Int(membership.lane) << 8 | Int(membership.minStep)) }
        }
        for (_, contact) in contacts.live.sorted(by: { $0.record.id < $1.record.id }) {
            digest.add(contact.id.rawValue)
            digest.add(Int(contact.queue))
            digest.add(Int(contact.lane))
            digest.add(QueuedKey.score(ofOrder: contact.order))
            digest.add(contact.enteredQueueAt.milliseconds)
            digest.add(String(describing: contact.phase))
        }
        for lane in lanes {
            for order in lane.order.descending { digest.add(Int(liveSlot(ofOrder: order) ?? -1)) }
            for place in lane.entries.ownedPositions { digest.add(Int(place.slot)) }
        }
        for queue in queues {
            let r = queue.runtime
            for n in [r.submitted, r.offered, r.answered, r.abandoned, r.completed, r.overflowedOut, r.waiting] { digest.add(n) }
            digest.add(r.averageHandleMilliseconds)
        }
        return digest
    }
}
