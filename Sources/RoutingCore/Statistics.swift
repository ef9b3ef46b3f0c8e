import DequeModule

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Occupancy as an exponentially weighted average with time constant `window`: the share of staffed time
/// (ready or working) spent working (reserved, busy, wrap-up). O(1) memory per agent, updated on state changes.
struct OccupancyMeter: Hashable {
    var busy: Double = 0
    var staffed: Double = 0
    var lastUpdate = Instant.epoch

    mutating func record(state: AgentState, until now: Instant, windowSeconds: Int) {
        defer { lastUpdate = now }
        let elapsed = Double(now.milliseconds(since: lastUpdate)) / 1000
        guard elapsed > 0 else { return }
        let tau = Double(max(windowSeconds, 1))
        let decay = exp(-elapsed / tau)
        let gained = tau * (1 - decay)
        busy *= decay
        staffed *= decay
        switch state {
        case .reserved, .busy, .wrapUp:
            busy += gained
            staffed += gained
        case .ready:
            staffed += gained
        case .loggedOut, .notReady:
            break
        }
    }

    var value: Double? { staffed > 1e-9 ? busy / staffed : nil }

    /// The value as if `state` had lasted from the last update until `now`, without recording it.
    func value(at now: Instant, state: AgentState, windowSeconds: Int) -> Double? {
        var projected = self
        projected.record(state: state, until: now, windowSeconds: windowSeconds)
        return projected.value
    }
}

/// Live counters of one queue, kept across rule swaps.
struct QueueRuntime {
    var submitted = 0
    var offered = 0
    var answered = 0
    var abandoned = 0
    var cancelled = 0
    var closed = 0
    var rejectedFull = 0
    var overflowedIn = 0
    var overflowedOut = 0
    var completed = 0
    var waiting = 0
    var ringing = 0
    var averageHandleMilliseconds: Double
    var serviceLevel = ServiceLevelWindow()
    /// Contacts in the order they entered this queue, which is the order of `enteredQueueAt` because entering
    /// always happens at the current time. Answered ones are dropped lazily when they reach the front, so the
    /// front is the longest-waiting contact still unanswered.
    var longestWaiting = Deque<WaitingSince>()
    /// Agent slot to the offer counter of its last offer from this queue. Not a `Dictionary`, for the reason
    /// `TenantSlot.tiers` gives.
    var roundRobinLastServed = CheapHashTable<Int32, UInt64>()

    init(expectedHandleSeconds: Int) {
        averageHandleMilliseconds = Double(expectedHandleSeconds) * 1000
    }

    /// Handle time is smoothed so the wait estimate follows recent contacts, not the whole day.
    mutating func observeHandleTime(_ milliseconds: Int64) {
        averageHandleMilliseconds += 0.05 * (Double(milliseconds) - averageHandleMilliseconds)
    }
}

public struct QueueStatistics: Sendable, Hashable {
    public var tenant: String
    public var queue: String
    public var channel: Channel
    /// Contacts queued or holding for a preferred agent.
    public var waiting: Int
    /// Contacts currently offered to an agent and not yet accepted.
    public var ringing: Int
    public var longestWaitMilliseconds: Int64
    /// Answered within the target / (answered + abandoned after the target), over the window; nil before any.
    public var serviceLevelPercent: Double?
    public var serviceLevelTarget: ServiceLevelTarget
    /// Average speed of answer over the window.
    public var averageSpeedOfAnswerMilliseconds: Double?
    public var abandonRatePercent: Double?
    public var answeredInWindow: Int
    public var abandonedInWindow: Int
    public var windowSeconds: Int
    public var averageHandleSeconds: Double
    /// Agents who qualify for the queue's base requirement at some step, by state.
    public var agentsByState: [AgentState: Int]
    public var totals: Totals

    public struct Totals: Sendable, Hashable {
        public var submitted: Int
        public var offered: Int
        public var answered: Int
        public var abandoned: Int
        public var cancelled: Int
        public var closed: Int
        public var rejectedFull: Int
        public var overflowedIn: Int
        public var overflowedOut: Int
        public var completed: Int
    }
}

public struct AgentStatistics: Sendable, Hashable {
    public var id: AgentID
    public var name: String
    public var tenant: String
    public var state: AgentState
    public var reason: String?
    /// Since when the agent has been ready with nothing to do; nil unless the state is ready.
    public var idleSince: Instant?
    public var contactsHandledSinceLogin: Int
    public var contactsHandled: Int
    public var talkMilliseconds: Int64
    /// Busy share of staffed time, exponentially weighted over the tenant's statistics window.
    public var occupancy: Double?
    public var activeContacts: Int
}

/// Engine-wide accounting: every accepted contact is in exactly one of these buckets.
public struct ContactAccounting: Sendable, Hashable {
    public var accepted = 0
    public var rejected = 0
    public var closed = 0
    public var completed = 0
    public var abandoned = 0
    public var cancelled = 0
    public var overflowedToIVR = 0
    public var live = 0

    public var isBalanced: Bool {
        accepted == closed + completed + abandoned + cancelled + overflowedToIVR + live
    }
}

/// Agents serving each queue, by published state: one flat table of six counts per queue. Every state change of
/// an agent adjusts the counts of each queue it serves, several times per routing decision; kept inside the
/// queues' records, each count paid a uniqueness check of `queues` and a walk to a field of a large record.
struct AgentStatesByQueue: Equatable {
    private static let stride = AgentState.allCases.count
    private var counts: [Int32] = []

    mutating func appendQueue() {
        counts.append(contentsOf: repeatElement(0, count: Self.stride))
    }

    mutating func removeAllCounts() {
        counts = Array(repeating: 0, count: counts.count)
    }

    subscript(queue: Int, state: AgentState) -> Int {
        Int(counts[queue * Self.stride + state.rawValue])
    }

    /// An agent serving `queues` went from state `old` to `new`.
    mutating func move(_ queues: [Int32], from old: AgentState, to new: AgentState) {
        counts.withUnsafeMutableBufferPointer { table in
            for queue in queues {
                let base = Int(queue) * Self.stride
                table[base + old.rawValue] -= 1
                table[base + new.rawValue] += 1
            }
        }
    }

    /// An agent in `state` starts (`delta` 1) or stops (-1) serving `queues`.
    mutating func add(_ delta: Int32, in state: AgentState, for queues: [Int32]) {
        counts.withUnsafeMutableBufferPointer { table in
            for queue in queues { table[Int(queue) * Self.stride + state.rawValue] += delta }
        }
    }

    func description(ofQueue queue: Int) -> String {
        AgentState.allCases.map { "\($0): \(self[queue, $0])" }.joined(separator: ", ")
    }
}
