@testable import ACDDaemon
import RoutingCore
import Testing

@Suite struct EventReplayBufferTests {
    /// A payload that names its event: its sequence number's bytes, repeated to a length that varies with it.
    private func payload(_ sequence: UInt64, length: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: sequence &+ UInt64($0) &* 31) }
    }

    private func append(_ buffer: EventReplayBuffer, _ sequence: UInt64, length: Int) {
        payload(sequence, length: length).withUnsafeBytes { buffer.append($0) }
    }

    /// Every held event's bytes are the ones appended for it, and exactly the last `capacity` are held.
    private func expectHolds(_ buffer: EventReplayBuffer, through last: UInt64, lengths: [UInt64: Int]) {
        let first = last >= UInt64(buffer.capacity) ? last - UInt64(buffer.capacity) + 1 : 1
        #expect(buffer.oldestSequence == first)
        #expect(buffer.lastSequence == last)
        for sequence in first...last {
            #expect(Array(buffer.payload(of: sequence)) == payload(sequence, length: lengths[sequence]!))
        }
    }

    @Test func emptyBufferHoldsNothing() {
        let buffer = EventReplayBuffer(capacity: 4)
        #expect(buffer.lastSequence == 0)
        #expect(buffer.events(from: 1, limit: 10).isEmpty)
        #expect(!buffer.isFull)
    }

    /// Seeded lengths from empty to twice the bytes the ring starts with per event: the ring wraps, drops and
    /// grows (a long event at the end of the run) while every held event keeps its bytes.
    @Test(arguments: [1, 3, 64, 700])
    func randomLengthsKeepTheLastEventsIntact(capacity: Int) {
        let buffer = EventReplayBuffer(capacity: capacity)
        var random = SplitMix64(seed: UInt64(capacity))
        var lengths: [UInt64: Int] = [:]
        let maximum = EventReplayBuffer.initialBytesPerEvent * 2
        for sequence in UInt64(1)...5_000 {
            let length = sequence == 4_000 ? maximum * max(capacity, 512) : Int(random.next() % UInt64(maximum + 1))
            lengths[sequence] = length
            append(buffer, sequence, length: length)
            if sequence % 97 == 0 || sequence == 4_000 { expectHolds(buffer, through: sequence, lengths: lengths) }
        }
        expectHolds(buffer, through: 5_000, lengths: lengths)
    }

    @Test func replaysFromTheOldestHeldWhenAskedForOlder() {
        let buffer = EventReplayBuffer(capacity: 3)
        for sequence in UInt64(1)...5 { append(buffer, sequence, length: Int(sequence)) }
        let replayed = buffer.events(from: 1, limit: 10)
        #expect(replayed == [payload(3, length: 3), payload(4, length: 4), payload(5, length: 5)])
        #expect(buffer.events(from: 5, limit: 10) == [payload(5, length: 5)])
        #expect(buffer.events(from: 4, limit: 1) == [payload(4, length: 4)])
        #expect(buffer.events(from: 6, limit: 10).isEmpty)
        #expect(buffer.isFull)
    }

    /// Doubling keeps every held event, whether or not the ring had wrapped, and the ring then holds twice as many.
    @Test(arguments: [5, 8, 13])
    func doublingKeepsWhatIsHeldAndHoldsTwiceAsMany(eventsBeforeDoubling: Int) {
        let buffer = EventReplayBuffer(capacity: 8)
        var lengths: [UInt64: Int] = [:]
        func add(_ sequence: UInt64) {
            lengths[sequence] = Int(sequence % 7) * 20
            append(buffer, sequence, length: lengths[sequence]!)
        }
        for sequence in UInt64(1)...UInt64(eventsBeforeDoubling) { add(sequence) }
        let oldest = buffer.oldestSequence
        buffer.doubleCapacity()
        #expect(buffer.capacity == 16 && buffer.oldestSequence == oldest && !buffer.isFull)
        for sequence in oldest...buffer.lastSequence {
            #expect(Array(buffer.payload(of: sequence)) == payload(sequence, length: lengths[sequence]!))
        }
        // The oldest goes only once sixteen are held.
        while !buffer.isFull { add(buffer.lastSequence + 1) }
        #expect(buffer.oldestSequence == oldest)
        for sequence in buffer.lastSequence + 1...40 {
            add(sequence)
            expectHolds(buffer, through: sequence, lengths: lengths)
        }
    }
}
