import DequeModule

/// Answers and abandons of one queue over the last `window` seconds, for service level, ASA and abandon rate.
///
/// Kept per second, not per contact: memory is bounded by the window (at most one bucket per second) whatever
/// the rate, where a sample per contact took 21 MB per queue at 1,000 answers/s over 900 s. The window is the
/// last `window` whole seconds, the current one included, as interval wallboards count; an exact sliding window
/// differs by less than a second. Each contact is classified against the service-level target in force when it
/// was answered or abandoned, and its second keeps that classification until it leaves the window, so a rule swap
/// that changes the target can never make the totals inconsistent.
struct ServiceLevelWindow: Hashable {
    struct Totals: Hashable {
        var answered = 0
        var answeredWithinTarget = 0
        var abandoned = 0
        var abandonedAfterTarget = 0
        var answerWaitMilliseconds: Int64 = 0

        fileprivate mutating func add(_ other: Totals) {
            answered += other.answered
            answeredWithinTarget += other.answeredWithinTarget
            abandoned += other.abandoned
            abandonedAfterTarget += other.abandonedAfterTarget
            answerWaitMilliseconds += other.answerWaitMilliseconds
        }

        fileprivate mutating func subtract(_ other: Totals) {
            answered -= other.answered
            answeredWithinTarget -= other.answeredWithinTarget
            abandoned -= other.abandoned
            abandonedAfterTarget -= other.abandonedAfterTarget
            answerWaitMilliseconds -= other.answerWaitMilliseconds
        }
    }

    private struct Second: Hashable {
        var second: Int64
        var totals: Totals
    }

    /// Oldest first, one per second that had an outcome; none at or before the window's start.
    private var seconds = Deque<Second>()
    /// The sum of `seconds`.
    private var running = Totals()

    /// A contact answered (or abandoned) at `at` after waiting `waitMilliseconds` in its queue.
    mutating func record(
        at: Instant, waitMilliseconds: Int64, answered: Bool, targetMilliseconds: Int64, windowSeconds: Int
    ) {
        var outcome = Totals()
        if answered {
            outcome.answered = 1
            outcome.answeredWithinTarget = waitMilliseconds <= targetMilliseconds ? 1 : 0
            outcome.answerWaitMilliseconds = waitMilliseconds
        } else {
            outcome.abandoned = 1
            outcome.abandonedAfterTarget = waitMilliseconds > targetMilliseconds ? 1 : 0
        }
        let second = Self.second(of: at)
        running.add(outcome)
        if let last = seconds.indices.last, seconds[last].second == second {
            seconds[last].totals.add(outcome)
        } else {
            seconds.append(Second(second: second, totals: outcome))
        }
        let start = second - Int64(windowSeconds)
        while let oldest = seconds.first, oldest.second <= start {
            running.subtract(oldest.totals)
            seconds.removeFirst()
        }
    }

    /// The totals of the window ending at `now`, without forgetting anything (a query, between records).
    func totals(at now: Instant, windowSeconds: Int) -> Totals {
        var totals = running
        let start = Self.second(of: now) - Int64(windowSeconds)
        for bucket in seconds {
            guard bucket.second <= start else { break }
            totals.subtract(bucket.totals)
        }
        return totals
    }

    /// Seconds kept: at most the window's length.
    var bucketCount: Int { seconds.count }

    /// Whether the running totals are the sum of the seconds kept, in order and one bucket per second.
    var isConsistent: Bool {
        var sum = Totals()
        for bucket in seconds { sum.add(bucket.totals) }
        let ordered = zip(seconds, seconds.dropFirst()).allSatisfy { $0.second < $1.second }
        return sum == running && ordered
    }

    private static func second(of instant: Instant) -> Int64 {
        let (quotient, remainder) = instant.milliseconds.quotientAndRemainder(dividingBy: 1000)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
