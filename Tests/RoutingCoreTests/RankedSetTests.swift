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

    @Test func removeMaxDrainsInDescendingOrder() {
        var set = RankedSet<Int>()
        for value in (0..<2_000).reversed() { set.insert(value * 7 % 2_003) }
        var drained: [Int] = []
        while let top = set.removeMax() { drained.append(top) }
        #expect(drained == drained.sorted(by: >))
        #expect(drained.count == 2_000)
        let removedFromEmpty = set.remove(5)
        #expect(!removedFromEmpty)
    }
}
