/// The search for one target's highest sustained rate: the rate doubles from the first one until a step is not
/// sustained, then the last two are bisected until they are within a twentieth of each other (five times at most).
/// Bisected three times, a maximum between 128,000 and 256,000/s came in steps of 16,000 (128,000, then 144,000),
/// and the store's cost, a ratio of two maxima, moved by up to 11 points on that alone (bench/README.md, session 32).
struct RateSearch {
    let name: String
    let target: Target
    private var good = 0
    private var bad = 0
    private var doubling: Int
    private var bisections = 0

    init(name: String, target: Target, startRate: Int) {
        self.name = name
        self.target = target
        doubling = startRate
    }

    /// The rate to try next; nil once the search is over.
    var nextRate: Int? {
        if bad == 0 { return doubling > 1_000_000 ? nil : doubling }
        guard bisections < 5, bad - good > good / 20 else { return nil }
        return (good + bad) / 2
    }

    /// The highest rate sustained so far.
    var maximum: Double { Double(max(good, 1)) }

    mutating func record(rate: Int, sustained: Bool) {
        if bad == 0 {
            if sustained { good = rate; doubling = rate * 2 } else { bad = rate }
            return
        }
        bisections += 1
        if sustained { good = rate } else { bad = rate }
    }
}
