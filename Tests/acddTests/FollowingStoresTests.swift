@testable import ACDDaemon
import Testing

@Suite struct FollowingStoresTests {
    let start = ContinuousClock.now

    @Test func theSlowestStoreThatCountsIsWaitedForAndASilentOneIsNot() {
        var stores = FollowingStores(silence: .seconds(5))
        #expect(stores.slowestWrittenThrough(at: start) == nil)
        #expect(stores.record("a", writtenThrough: 900, at: start) == true, "a first report is news")
        #expect(stores.record("b", writtenThrough: 400, at: start + .seconds(3)) == true)
        #expect(stores.slowestWrittenThrough(at: start + .seconds(4)) == 400)
        // A's report is 6 s old: only b counts, then neither.
        #expect(stores.slowestWrittenThrough(at: start + .seconds(6)) == 400)
        #expect(stores.record("b", writtenThrough: 1_000, at: start + .seconds(6)) == false)
        #expect(stores.slowestWrittenThrough(at: start + .seconds(6)) == 1_000)
        #expect(stores.slowestWrittenThrough(at: start + .seconds(12)) == nil)
        #expect(stores.stores.map(\.name) == ["a", "b"])
    }

    @Test func silenceIsAnnouncedOnceAndAReportAfterItIsNoticed() {
        var stores = FollowingStores(silence: .seconds(5))
        #expect(stores.record("a", writtenThrough: 10, at: start) == true)
        #expect(stores.record("b", writtenThrough: 20, at: start + .seconds(2)) == true)
        #expect(stores.takeNewlySilent(at: start + .seconds(5)).isEmpty)
        #expect(stores.takeNewlySilent(at: start + .seconds(6)).map(\.name) == ["a"])
        #expect(stores.takeNewlySilent(at: start + .seconds(6)).isEmpty)
        #expect(stores.takeNewlySilent(at: start + .seconds(8)).map(\.name) == ["b"])
        // A comes back: noticed once, counted again, and announced again if it falls silent again.
        #expect(stores.record("a", writtenThrough: 30, at: start + .seconds(9)) == true)
        #expect(stores.record("a", writtenThrough: 31, at: start + .seconds(9)) == false)
        #expect(stores.slowestWrittenThrough(at: start + .seconds(9)) == 31)
        #expect(stores.takeNewlySilent(at: start + .seconds(15)).map(\.name) == ["a"])
    }
}
