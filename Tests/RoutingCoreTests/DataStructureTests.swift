import Testing
@testable import RoutingCore

@Suite struct RankedSetTests {
    @Test func matchesASortedArrayUnderRandomOperations() {
        var generator = SplitMix64(seed: 42)
        var set = RankedSet<Int>()
        var reference: [Int] = []
        for _ in 0..<20_000 {
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
}

@Suite struct ContactIndexTests {
    @Test func sequentialIdsAgreeWithADictionaryThroughGrowthAndDeletion() {
        var generator = SplitMix64(seed: 5)
        var table = CheapHashTable<ContactID>()
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
        var table = CheapHashTable<String>()
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
        var table = CheapHashTable<String>()
        table["caf\u{E9}"] = 1
        table["cafe\u{301}"] = 2
        #expect(table["caf\u{E9}"] == 1 && table["cafe\u{301}"] == 2 && table.count == 2)
        #expect(table[""] == nil)
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
            while let next = timers.min, next.due <= now {
                let entry = timers.removeMin()!
                fired.append((entry.due, entry.sequence))
            }
        }
        while let entry = timers.removeMin() { fired.append((entry.due, entry.sequence)) }
        let expected = reference.sorted { ($0.due, $0.sequence) < ($1.due, $1.sequence) }
        #expect(fired.map(\.1) == expected.map(\.sequence))
        #expect(timers.count == 0)
    }
}
