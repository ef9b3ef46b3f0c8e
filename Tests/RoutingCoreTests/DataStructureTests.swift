import Synchronization
import Testing
@testable import RoutingCore

@Suite struct RankedSetTests {
    /// The default capacities, and tiny ones under which buckets and blocks split and empty every few operations.
    @Test(arguments: [(32, 32), (2, 2), (1, 3)])
    func matchesASortedArrayUnderRandomOperations(bucketCapacity: Int, blockCapacity: Int) {
        var generator = SplitMix64(seed: 42)
        var set = RankedSet<Int>(bucketCapacity: bucketCapacity, blockCapacity: blockCapacity)
        var reference: [Int] = []
        for step in 0..<20_000 {
            let value = Int(generator.next() % 5_000)
            if generator.next() % 3 == 0, !reference.isEmpty {
                let victim = reference[Int(generator.next() % UInt64(reference.count))]
                let removed = set.remove(victim)
                #expect(removed)
                reference.remove(at: reference.firstIndex(of: victim)!)
            } else if !reference.contains(value) {
                set.insert(value)
                reference.append(value)
                reference.sort()
            }
            #expect(set.count == reference.count)
            #expect(set.max == reference.last)
            let probe = Int(generator.next() % 5_000)
            #expect(set.countGreater(than: probe) == reference.filter { $0 > probe }.count)
            if step % 97 == 0 { #expect(set.structuralProblems().isEmpty) }
        }
        #expect(set.structuralProblems().isEmpty)
        #expect(Array(set.descending) == reference.reversed())
    }

    @Test func removingTheMaximumDrainsInDescendingOrder() {
        var set = RankedSet<Int>()
        for value in (0..<2_000).reversed() { set.insert(value * 7 % 2_003) }
        var drained: [Int] = []
        while let top = set.max {
            set.remove(top)
            drained.append(top)
        }
        #expect(drained == drained.sorted(by: >))
        #expect(drained.count == 2_000)
        #expect(set.structuralProblems().isEmpty)
        let removedFromEmpty = set.remove(5)
        #expect(!removedFromEmpty)
    }

    /// A queue served first come, first served: each newcomer is the smallest, the largest leaves. Blocks split at
    /// the low end, which rebuilds the tree over the blocks, and empty at the top, which drops its last entry.
    @Test func aQueueServedInOrderKeepsRanksExact() {
        var set = RankedSet<Int>(bucketCapacity: 2, blockCapacity: 2)
        var newest = 1_000_000
        for _ in 0..<300 {
            set.insert(newest)
            newest -= 1
        }
        for round in 0..<600 {
            if round % 3 != 2 {
                set.insert(newest)
                #expect(set.countGreater(than: newest) == set.count - 1)
                newest -= 1
            }
            if round % 2 == 0, let top = set.max { set.remove(top) }
            // The set holds newest + 1 through newest + count.
            let middle = set.count / 2
            #expect(set.countGreater(than: newest + middle) == set.count - middle)
            #expect(set.structuralProblems().isEmpty)
        }
    }
}

@Suite struct QueuedKeyTests {
    @Test func packedOrderIsStrictRankThenScoreThenTheOlderContact() {
        var generator = SplitMix64(seed: 11)
        let scores: [Double] = [-.infinity, -1e12, -3.5, -0.0, 0, 1e-300, 2.25, 2.5, 1e15, .infinity]
        let keys = (0..<400).map { n in
            (rank: Int32(generator.next() % 3), score: scores[Int(generator.next() % UInt64(scores.count))], id: UInt64(n) * 977 % 400)
        }
        for a in keys {
            for b in keys where generator.next() % 8 == 0 {
                let reference = a.rank != b.rank ? a.rank < b.rank : a.score != b.score ? a.score < b.score : a.id > b.id
                let packedA = QueuedKey(score: a.score, id: a.id, strictRank: a.rank, slot: 0)
                let packedB = QueuedKey(score: b.score, id: b.id, strictRank: b.rank, slot: 0)
                #expect((packedA < packedB) == reference, "\(a) < \(b)")
                #expect(packedA.strictRank == a.rank)
                #expect(packedA.order > EntryTournament.vacant)
            }
        }
    }
}

@Suite struct EntryTournamentTests {
    /// A contact of the reference model: its place, when it entered, and its key while queued.
    private struct Place {
        var slot: Int32
        var enteredAt: Int64
        var key: QueuedKey?
    }

    @Test func answersPrefixQueriesLikeAScanThroughCompactionAndGrowth() {
        var generator = SplitMix64(seed: 7)
        var tournament = EntryTournament(capacity: 4)
        var places: [Int32: Place] = [:]  // by position
        var clock: Int64 = 0
        var nextSlot: Int32 = 0
        for _ in 0..<4_000 {
            clock += Int64(generator.next() % 3)
            let owned = places.keys.sorted()
            switch generator.next() % 6 {
            case 0, 1:
                if tournament.isFull {
                    let moved = tournament.compact()
                    let bySlot = Dictionary(uniqueKeysWithValues: places.values.map { ($0.slot, $0) })
                    #expect(moved.map(\.slot) == owned.map { places[$0]!.slot }, "compaction keeps the entry order")
                    places = Dictionary(uniqueKeysWithValues: moved.map { ($0.position, bySlot[$0.slot]!) })
                }
                let slot = nextSlot
                nextSlot += 1
                let position = tournament.reserve(for: slot, enteredAt: clock)
                let key = QueuedKey(score: Double(generator.next() % 50), id: UInt64(slot), strictRank: Int32(generator.next() % 2), slot: slot)
                tournament.place(key, at: position)
                places[position] = Place(slot: slot, enteredAt: clock, key: key)
            case 2 where !owned.isEmpty:
                let position = owned[Int(generator.next() % UInt64(owned.count))]
                tournament.vacate(position)
                places[position]!.key = nil
            case 3 where !owned.isEmpty:
                let position = owned[Int(generator.next() % UInt64(owned.count))]
                if places[position]!.key == nil {
                    let slot = places[position]!.slot
                    let key = QueuedKey(score: 7, id: UInt64(slot), strictRank: 0, slot: slot)
                    tournament.place(key, at: position)
                    places[position]!.key = key
                }
            case 4 where !owned.isEmpty:
                let position = owned[Int(generator.next() % UInt64(owned.count))]
                tournament.release(position)
                places[position] = nil
            default:
                break
            }
            let threshold = clock - Int64(generator.next() % 40)
            let expected = places.values.filter { $0.enteredAt <= threshold }.compactMap(\.key).max()
            #expect(tournament.best(enteredBy: threshold) == expected?.slot)
            #expect(tournament.best == places.values.compactMap(\.key).max()?.slot)
            let after = threshold - Int64(generator.next() % 10)
            let reaching = places.keys.sorted().compactMap { p -> Int32? in
                let place = places[p]!
                return place.enteredAt > after && place.enteredAt <= threshold ? place.key?.slot : nil
            }
            #expect(tournament.queued(enteredAfter: after, through: threshold) == reaching)
            let next = places.keys.sorted().first { places[$0]!.enteredAt > after && places[$0]!.key != nil }
            #expect(tournament.firstQueuedEntry(after: after) == next.map { places[$0]!.enteredAt })
            #expect(tournament.structuralProblems().isEmpty)
        }
        #expect(tournament.owned == places.count)
        #expect(tournament.capacity >= 256, "the tournament grew past a single block")
    }
}

@Suite struct AgentWorkTests {
    @Test func keepsSlotsInOrderInlineAndSpilled() {
        var generator = SplitMix64(seed: 11)
        var work = AgentWork()
        var reference: [Int32] = []
        for step in 0..<5_000 {
            let slot = Int32(generator.next() % 12)
            if generator.next() % 2 == 0, !reference.contains(slot) {
                work.append(slot)
                reference.append(slot)
            } else {
                work.remove(slot)
                reference.removeAll { $0 == slot }
            }
            #expect(Array(work) == reference, "step \(step)")
            #expect(work.count == reference.count && work.isEmpty == reference.isEmpty)
            #expect(work.indices.map { work[$0] } == reference)
        }
    }
}

@Suite struct LineAlignedArrayTests {
    /// A record of 40 bytes with a reference: slots of one line each, and the references must be released.
    struct Record: Equatable {
        var number: Int
        var label: String
        var tracker: Tracker?
        var padding = (0, 0)

        static func == (lhs: Record, rhs: Record) -> Bool { lhs.number == rhs.number && lhs.label == rhs.label }
    }

    final class Tracker {
        static let live = Mutex(0)
        init() { Self.live.withLock { $0 += 1 } }
        deinit { Self.live.withLock { $0 -= 1 } }
    }

    @Test func everyElementStartsOnACacheLine() {
        var records = LineAlignedArray<Record>()
        var big = LineAlignedArray<(Int, Int, Int, Int, Int, Int, Int, Int, Int)>()
        for number in 0..<100 {
            records.append(Record(number: number, label: "r\(number)"))
            big.append((number, 0, 0, 0, 0, 0, 0, 0, 0))
        }
        for index in records.indices {
            records.makeUnique()
            withUnsafeMutablePointer(to: &records[index]) { #expect(Int(bitPattern: $0) % 64 == 0) }
            big.makeUnique()
            withUnsafeMutablePointer(to: &big[index]) { #expect(Int(bitPattern: $0) % 64 == 0) }
        }
        #expect(big.map(\.0) == Array(0..<100))
    }

    /// Appends, writes and copies at random against an `Array`; a copy taken at any point keeps its elements
    /// whatever is written to the original after it.
    @Test func behavesAsAnArrayWithCopiesKeptApart() {
        var generator = SplitMix64(seed: 17)
        var records = LineAlignedArray<Record>()
        var reference: [Record] = []
        var snapshots: [(LineAlignedArray<Record>, [Record])] = []
        for step in 0..<4_000 {
            switch generator.next() % 5 {
            case 0, 1:
                let record = Record(number: Int(generator.next() % 1_000), label: "s\(step)")
                records.append(record)
                reference.append(record)
            case 2, 3 where !reference.isEmpty:
                let index = Int(generator.next() % UInt64(reference.count))
                records.makeUnique()
                records[index].number += 1
                records[index].label += "+"
                reference[index].number += 1
                reference[index].label += "+"
            default:
                if snapshots.count < 20 { snapshots.append((records, reference)) }
            }
            #expect(Array(records) == reference, "step \(step)")
        }
        for (copy, expected) in snapshots { #expect(Array(copy) == expected) }
    }

    /// The contact record is sized to fill one line of this array; a field added past that spreads every record
    /// over two lines again.
    @Test func aContactRecordFillsOneLine() {
        #expect(MemoryLayout<ContactRecord>.stride == 64)
    }

    @Test func releasesItsElementsWhenFreedAndWhenGrown() {
        let before = Tracker.live.withLock { $0 }
        do {
            var records = LineAlignedArray<Record>()
            for number in 0..<1_000 { records.append(Record(number: number, label: "", tracker: Tracker())) }
            let copy = records
            records.makeUnique()
            records[0].tracker = Tracker()
            #expect(Tracker.live.withLock { $0 } == before + 1_001)
            #expect(copy.count == 1_000)
        }
        #expect(Tracker.live.withLock { $0 } == before)
    }
}

@Suite struct ContactRecordsTests {
    @Test func aSlotIsLiveFromOccupyToVacate() {
        var records = ContactRecords()
        records.appendVacant()
        records.appendVacant()
        #expect(records.live(0) == nil && records.live(1) == nil && records.live.isEmpty)
        records.occupy(1, with: ContactRecord(order: 7, queue: 2, lane: 3, arrivedAt: Instant(milliseconds: 5)))
        #expect(records.live(1)?.queue == 2)
        #expect(records.live.map(\.slot) == [1])
        records[1].lane = 4
        #expect(records[1].lane == 4 && records[1].phaseKind == .arriving)
        records.vacate(1)
        #expect(records.live(1) == nil && records.live.isEmpty)
        records.occupy(1, with: ContactRecord(order: 8, queue: 5, lane: 6, arrivedAt: Instant(milliseconds: 9)))
        #expect(records.live(1)?.lane == 6)
    }
}

@Suite struct ContactIndexTests {
    /// Ids rise as the engine gives them, some are skipped (contacts closed on arrival), contacts leave in any
    /// order, and a window of 64 forces the long-lived ones into the hash table of veterans.
    @Test(arguments: [64, 1 << 20])
    func agreesWithADictionaryWhateverTheOrderContactsLeaveIn(windowLimit: Int) {
        var generator = SplitMix64(seed: 5)
        var index = ContactIndex<Int32>(windowLimit: windowLimit)
        var reference: [UInt64: Int32] = [:]
        var nextID: UInt64 = 1
        for round in 0..<60_000 {
            let draw = generator.next() % 10
            if draw < 5 || reference.isEmpty {
                nextID += generator.next() % 8 == 0 ? 2 : 1
                index.insert(ContactID(nextID), Int32(round))
                reference[nextID] = Int32(round)
            } else {
                // Mostly the oldest few, as answered contacts leave; sometimes any, as abandons do.
                let victim = draw < 8 ? reference.keys.min()! : reference.keys.randomElement(using: &generator)!
                index.remove(ContactID(victim))
                reference[victim] = nil
            }
            if round % 97 == 0 {
                let probe = generator.next() % (nextID + 10)
                #expect(index[ContactID(probe)] == reference[probe])
            }
            #expect(index.count == reference.count)
        }
        for (key, value) in reference { #expect(index[ContactID(key)] == value) }
        index.remove(ContactID(nextID + 1))
        index.remove(ContactID(0))
        #expect(index.count == reference.count, "removing an unknown id changes nothing")
    }

    /// The CRM store's use: optional references, nil marking the vacant ids; the same objects come back, from the
    /// window and from the veterans.
    @Test func holdsReferencesInTheWindowAndAmongTheVeterans() {
        final class Card {}
        var index = ContactIndex<Card?>(windowLimit: 4)
        let cards = (0..<10).map { _ in Card() }
        for (n, card) in cards.enumerated() { index.insert(ContactID(UInt64(n + 1)), card) }
        #expect(index.count == 10)
        for (n, card) in cards.enumerated() {
            #expect(index[ContactID(UInt64(n + 1))]?.map(ObjectIdentifier.init) == ObjectIdentifier(card))
        }
        index.remove(ContactID(2))
        index.remove(ContactID(9))
        #expect(index[ContactID(2)] == nil && index[ContactID(9)] == nil && index[ContactID(11)] == nil)
        #expect(index.count == 8)
        index.insert(ContactID(9), cards[0])
        #expect(index[ContactID(9)]?.map(ObjectIdentifier.init) == ObjectIdentifier(cards[0]) && index.count == 9)
    }

    /// The old hash table, still the index of names; its contact-id conformance is kept for the veterans.
    @Test func cheapHashTableAgreesWithADictionaryForSequentialIds() {
        var generator = SplitMix64(seed: 5)
        var table = CheapHashTable<ContactID, Int32>()
        var reference: [UInt64: Int32] = [:]
        var nextID: UInt64 = 1
        for round in 0..<60_000 {
            if generator.next() % 5 < 3 || reference.isEmpty {
                table[ContactID(nextID)] = Int32(round)
                reference[nextID] = Int32(round)
                nextID += 1
            } else {
                let victim = reference.keys.randomElement(using: &generator)!
                table[ContactID(victim)] = nil
                reference[victim] = nil
            }
            if round % 97 == 0 {
                let probe = generator.next() % (nextID + 10) + 1
                #expect(table[ContactID(probe)] == reference[probe])
            }
        }
        #expect(table.count == reference.count)
        for (key, value) in reference { #expect(table[ContactID(key)] == value) }
    }
}

@Suite struct CheapHashTableTests {
    @Test func agreesWithADictionaryThroughGrowthOverwriteAndDeletion() {
        var generator = SplitMix64(seed: 9)
        var table = CheapHashTable<String, Int32>()
        var reference: [String: Int32] = [:]
        // Few distinct keys, so that inserts overwrite and deletions hit long probe runs.
        for round in 0..<40_000 {
            let key = "agent-\(generator.next() % 3_000)"
            if generator.next() % 4 == 0 {
                table[key] = nil
                reference[key] = nil
            } else {
                table[key] = Int32(round)
                reference[key] = Int32(round)
            }
            if round % 101 == 0 {
                let probe = "agent-\(generator.next() % 3_500)"
                #expect(table[probe] == reference[probe])
            }
        }
        #expect(table.count == reference.count)
        #expect(table.values.sorted() == reference.values.sorted())
        for (key, value) in reference { #expect(table[key] == value) }
    }

    @Test func keysAreTheirBytes() {
        var table = CheapHashTable<String, Int32>()
        table["caf\u{E9}"] = 1
        table["cafe\u{301}"] = 2
        #expect(table["caf\u{E9}"] == 1 && table["cafe\u{301}"] == 2 && table.count == 2)
        #expect(table[""] == nil)
    }

    /// The hash reads a string in pieces whose number and overlap depend on its length: every length up to 40,
    /// in a small and in a heap storage, and every prefix of a key (which its pieces overlap), must find its own.
    @Test func everyLengthAndStorageFindsItsKey() {
        var table = CheapHashTable<String, Int32>()
        let text = "0123456789abcdefghijklmnopqrstuvwxyzABCD"
        let keys = (0...40).map { String(text.prefix($0)) }
        for (index, key) in keys.enumerated() { table[key] = Int32(index) }
        for (index, key) in keys.enumerated() {
            var heapCopy = String()
            heapCopy.reserveCapacity(64)  // a heap storage even for the short keys, which are small strings
            heapCopy += key
            #expect(table[key] == Int32(index) && table[heapCopy] == Int32(index), "length \(index)")
            #expect(key.cheapHash == heapCopy.cheapHash)
        }
        #expect(table.count == keys.count)
        // Same length, one byte apart in each position: the pieces cover every byte.
        for length in 1...20 {
            let base = String(repeating: "a", count: length)
            for position in 0..<length {
                var bytes = Array(base.utf8)
                bytes[position] = UInt8(ascii: "b")
                #expect(String(decoding: bytes, as: UTF8.self).cheapHash != base.cheapHash, "length \(length) at \(position)")
            }
        }
    }

    /// The same bytes in two storages are the same; the same text in two normal forms, or two lengths, is not.
    @Test func sameUTF8ComparesBytesWhateverTheStorage() {
        let short = "agent-7", long = String(repeating: "agent-", count: 8) + "7"
        for text in [short, long, "", "caf\u{E9}"] {
            let copy = String(decoding: Array(text.utf8), as: UTF8.self)
            #expect(text.hasSameUTF8(as: text) && text.hasSameUTF8(as: copy) && copy.hasSameUTF8(as: text))
        }
        #expect(!"caf\u{E9}".hasSameUTF8(as: "cafe\u{301}") && !"caf\u{E9}".hasSameUTF8(as: "caf\u{E9}\u{301}"))
        #expect(!long.hasSameUTF8(as: String(long.dropLast()) + "8") && !short.hasSameUTF8(as: "agent-8"))
    }
}

@Suite struct TimerQueueTests {
    @Test func firesInDueThenArmingOrderAcrossDelays() {
        var generator = SplitMix64(seed: 9)
        var timers = TimerQueue()
        var reference: [(due: Int64, sequence: UInt64)] = []
        var now: Int64 = 0
        var sequence: UInt64 = 0
        var fired: [(Int64, UInt64)] = []
        for _ in 0..<20_000 {
            now += Int64(generator.next() % 50)
            for _ in 0..<Int(generator.next() % 3) {
                let delay = [15_000, 30_000, 60_000, 1, Int64(generator.next() % 100_000)][Int(generator.next() % 5)]
                sequence += 1
                timers.insert(TimerEntry(due: now + delay, sequence: sequence, kind: .offerTimeout, slot: 0, generation: 0, epoch: 0), delay: delay)
                reference.append((now + delay, sequence))
            }
            while let due = timers.nextDue, due <= now {
                let entry = timers.removeMin()!
                fired.append((entry.due, entry.sequence))
            }
        }
        while let entry = timers.removeMin() { fired.append((entry.due, entry.sequence)) }
        let expected = reference.sorted { ($0.due, $0.sequence) < ($1.due, $1.sequence) }
        #expect(fired.map(\.1) == expected.map(\.sequence))
        #expect(timers.count == 0)
    }

    /// A daemon's offer timers pile up for the offer timeout whatever the rate: the storage a burst needed is
    /// reused by the next one, and what the pool does not keep is freed.
    @Test func reusesTheStorageOfFiredTimersAndFreesWhatThePoolDoesNotKeep() {
        var timers = TimerQueue()
        var sequence: UInt64 = 0
        func arm(_ count: Int, at now: Int64) {
            for _ in 0..<count {
                sequence += 1
                timers.insert(TimerEntry(due: now + 30_000, sequence: sequence, kind: .offerTimeout, slot: 0, generation: 0, epoch: 0), delay: 30_000)
            }
        }
        func fireAll() -> [UInt64] {
            var fired: [UInt64] = []
            while let entry = timers.removeMin() { fired.append(entry.sequence) }
            return fired
        }
        func segments(for timers: Int) -> Int { (timers + TimerQueue.segmentCapacity - 1) / TimerQueue.segmentCapacity }
        arm(100_000, at: 0)
        #expect(timers.allocatedSegments == segments(for: 100_000))
        #expect(fireAll() == Array(1...100_000))
        #expect(timers.allocatedSegments == min(segments(for: 100_000), TimerQueue.pooledSegments))
        arm(100_000, at: 1)
        #expect(timers.allocatedSegments == segments(for: 100_000))
        arm(100_000, at: 2)
        #expect(timers.allocatedSegments == segments(for: 200_000))
        #expect(fireAll() == Array(100_001...300_000))
        #expect(timers.allocatedSegments == TimerQueue.pooledSegments)
        arm(1, at: 3)
        #expect(timers.allocatedSegments == TimerQueue.pooledSegments)
        #expect(timers.nextDue == 30_003 && timers.count == 1)
    }
}
