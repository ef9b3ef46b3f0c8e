import HeapModule

/// A required or held skill, resolved to the engine's interned skill index.
struct SkillLevel: Hashable, Comparable {
    var skill: Int32
    var level: UInt8
    static func < (lhs: SkillLevel, rhs: SkillLevel) -> Bool {
        (lhs.skill, lhs.level) < (rhs.skill, rhs.level)
    }
}

/// An agent's skills, sorted by skill.
extension [SkillLevel] {
    func level(of skill: Int32) -> UInt8 {
        for entry in self where entry.skill == skill { return entry.level }
        return 0
    }

    func meets(_ requirements: [SkillLevel]) -> Bool {
        for requirement in requirements where level(of: requirement.skill) < requirement.level { return false }
        return true
    }

    /// Sum of levels in the required skills, for `highest_proficiency`.
    func proficiency(in requirements: [SkillLevel]) -> Int {
        requirements.reduce(0) { $0 + Int(level(of: $1.skill)) }
    }
}

/// Plain enum so that checking presence on the hot path copies nothing; the not-ready reason is stored apart.
enum Presence: UInt8, Hashable {
    case loggedOut, notReady, ready
}

/// One lane an agent qualifies for, from relaxation step `minStep` on.
struct LaneMembership: Hashable {
    var lane: Int32
    var minStep: UInt8
    /// Sum of the agent's levels in the lane's base skills, for `highest_proficiency`.
    var proficiency: UInt16
}

/// Contacts per channel in a byte each (`ChannelCapacity.maximumPerChannel` is 32): every decision reads an agent's
/// capacity and load, and two `ChannelCapacity` values of four `Int`s would spread its record over one more cache line.
struct ChannelSlots: Equatable, CustomStringConvertible {
    private var voice: UInt8 = 0
    private var chat: UInt8 = 0
    private var email: UInt8 = 0
    private var callback: UInt8 = 0

    init() {}

    init(_ capacity: ChannelCapacity) {
        for channel in Channel.allCases { self[channel] = capacity[channel] }
    }

    subscript(channel: Channel) -> Int {
        get {
            switch channel {
            case .voice: Int(voice)
            case .chat: Int(chat)
            case .email: Int(email)
            case .callback: Int(callback)
            }
        }
        set {
            switch channel {
            case .voice: voice = UInt8(newValue)
            case .chat: chat = UInt8(newValue)
            case .email: email = UInt8(newValue)
            case .callback: callback = UInt8(newValue)
            }
        }
    }

    /// Contacts on every channel together.
    var total: Int { Int(voice) + Int(chat) + Int(email) + Int(callback) }

    var description: String { Channel.allCases.map { "\($0): \(self[$0])" }.joined(separator: ", ") }
}

struct AgentRecord {
    // Read by nearly every command that touches the agent: declared together so that they share cache lines
    // (a record spans several; the rarely read fields come last).
    var isLive = true
    var presence: Presence = .loggedOut
    var voiceExclusive: Bool
    var state: AgentState = .loggedOut
    /// Bumped whenever availability or an ordering key may have changed: older heap entries are stale.
    var epoch: UInt32 = 0
    var tenant: Int32
    var active = ChannelSlots()
    var capacity: ChannelSlots
    /// Since when the agent has had free capacity without an offer: the key of `longest_idle`.
    var availableSince = Instant.epoch
    /// Contact slots this agent holds: offered, connected or in wrap-up.
    var work = AgentWork()
    var lanes: [LaneMembership] = []
    var servedQueues: [Int32] = []
    /// Contacts holding for this agent as the customer's preferred (last) agent.
    var preferredHolds: [Int32] = []
    var consecutiveMisses = 0
    var handledSinceLogin = 0
    var handledTotal = 0
    var talkMilliseconds: Int64 = 0
    var id: AgentID
    var stateReason: String?
    var occupancy = OccupancyMeter()
    var idleSince = Instant.epoch
    // Read by commands that change skills, capacity or presence, and by queries.
    var name: String
    var team: Int32?
    var skills: [SkillLevel]
    var explicitCapacity: ChannelCapacity?
    var notReadyReason = ""
}

enum ContactPhase: Hashable {
    /// Accepted by `submit` or moved by overflow, not yet placed: never seen between commands.
    case arriving
    /// In its lane, at the step its time in queue has reached (derived from `enteredQueueAt`, never stored).
    case queued
    case held(agent: Int32)
    case offered(agent: Int32, at: Instant)
    case connected(agent: Int32, at: Instant)
    case wrapUp(agent: Int32, at: Instant)

    var agent: Int32? {
        switch self {
        case .arriving, .queued: nil
        case .held(let agent), .offered(let agent, _), .connected(let agent, _), .wrapUp(let agent, _): agent
        }
    }

    var isWaiting: Bool {
        switch self {
        case .queued, .held: true
        default: false
        }
    }

    /// Whether the contact owns a place in its lane's entry order: from entering the queue until answered.
    var holdsPlace: Bool {
        switch self {
        case .queued, .held, .offered: true
        case .arriving, .connected, .wrapUp: false
        }
    }
}

/// Order of queued contacts inside one lane; larger is served first: the strict tier, then the customer value,
/// then the older contact. Time-invariant because aging is linear: `score` is the customer value minus
/// `aging * arrival`, so comparing at any later time gives the same order.
///
/// The three are packed into one 128-bit integer, so that the comparisons the lane structures make all the
/// time are two machine compares: the strict rank (16 bits), the score's bits made sortable (64), and the
/// contact id inverted (48). Ids are given in arrival order, so the smaller id is the older contact; past 2^48
/// contacts (nine years at a million a second) only the order of exact ties would wrap.
struct QueuedKey: Comparable, Hashable {
    var order: UInt128
    var score: Double
    var slot: Int32

    static func < (lhs: QueuedKey, rhs: QueuedKey) -> Bool { lhs.order < rhs.order }

    var strictRank: Int32 { Int32(truncatingIfNeeded: order >> 112) }
    /// Larger for the older contact.
    var seniority: UInt64 { UInt64(truncatingIfNeeded: order) & Self.idMask }

    static let idMask: UInt64 = (1 << 48) - 1

    /// The contact an order was made for: its id is in the low 48 bits (ids stay below 2^48, nine years at a
    /// million contacts a second).
    static func contactID(ofOrder order: UInt128) -> ContactID {
        ContactID(idMask - (UInt64(truncatingIfNeeded: order) & idMask))
    }

    /// The score an order was made from: the inverse of the sortable bits `init(score:id:strictRank:slot:)` makes.
    static func score(ofOrder order: UInt128) -> Double {
        let sortable = UInt64(truncatingIfNeeded: order >> 48)
        return Double(bitPattern: sortable & (1 << 63) != 0 ? sortable & ~(1 << 63) : ~sortable)
    }
}

extension QueuedKey {
    init(score: Double, id: UInt64, strictRank: Int32, slot: Int32) {
        // `+ 0` turns -0.0 into +0.0, which `==` holds equal but the bit patterns would not.
        let bits = (score + 0).bitPattern
        let sortable = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        let rank = UInt128(UInt16(clamping: strictRank))
        self.init(
            order: rank << 112 | UInt128(sortable) << 48 | UInt128(Self.idMask - (id & Self.idMask)),
            score: score, slot: slot)
    }
}

/// The queue figures a contact's phase counts in: waiting (queued or held) and ringing (offered).
enum PhaseTally {
    case waiting, ringing, none
}

struct DeclineBlock: Hashable {
    var agent: Int32
    var until: Instant
}

/// What routing reads about a contact on every decision: plain values only, so reading one copies no
/// reference-counted storage, and 62 bytes, so that the record fills one 64-byte cache line of the engine's
/// `LineAlignedArray` (a decision reads three records it has not touched for a while: the contact it routes, the
/// one completed, the new one). What the record can be told from is not stored: the id is in the order's low
/// bits, the score in its middle bits, the tenant is the queue's. Rarely read data lives in `ContactDetails`.
struct ContactRecord {
    /// The contact's `QueuedKey.order`, set on arrival and whenever rules re-score it.
    var order: UInt128
    var arrivedAt: Instant
    var enteredQueueAt: Instant
    // The phase, stored in its parts: as an enum of `(Int32, Instant)` payloads it took 17 bytes.
    private var phaseSince: Instant
    var queue: Int32
    var lane: Int32
    /// Bumped on every phase change; timers carry the epoch they were set in.
    var timerEpoch: UInt32 = 0
    /// Its place in the lane's entry order from entering the queue until it is answered or leaves; -1 otherwise.
    var entry: Int32 = -1
    private var phaseAgent: Int32
    /// The phase without its payload, for the hot paths that only ask which it is.
    private(set) var phaseKind: PhaseKind
    /// Whether `ContactDetails.blocks` may hold an unexpired block: spares the lookup in the common case.
    var hasBlocks = false

    enum PhaseKind: UInt8 {
        case arriving, queued, held, offered, connected, wrapUp
        /// Not a contact: the placeholder in a free slot (`ContactRecords`).
        case vacant

        /// Which of its queue's figures a contact in this phase counts in.
        var tally: PhaseTally {
            switch self {
            case .queued, .held: .waiting
            case .offered: .ringing
            case .arriving, .connected, .wrapUp, .vacant: .none
            }
        }
    }

    static let vacant = ContactRecord(vacantSlot: ())

    private init(vacantSlot: Void) {
        self.init(order: 0, queue: -1, lane: -1, arrivedAt: .epoch)
        phaseKind = .vacant
    }

    var isVacant: Bool { phaseKind == .vacant }

    init(order: UInt128, queue: Int32, lane: Int32, arrivedAt: Instant) {
        self.order = order
        self.queue = queue
        self.lane = lane
        self.arrivedAt = arrivedAt
        enteredQueueAt = arrivedAt
        phaseSince = arrivedAt
        phaseAgent = -1
        phaseKind = .arriving
    }

    var id: ContactID { QueuedKey.contactID(ofOrder: order) }

    /// The contact's key in its lane; `slot` is where the record is.
    func key(slot: Int32) -> QueuedKey { QueuedKey(order: order, score: QueuedKey.score(ofOrder: order), slot: slot) }

    var phase: ContactPhase {
        get {
            switch phaseKind {
            case .arriving: .arriving
            case .queued: .queued
            case .held: .held(agent: phaseAgent)
            case .offered: .offered(agent: phaseAgent, at: phaseSince)
            case .connected: .connected(agent: phaseAgent, at: phaseSince)
            case .wrapUp: .wrapUp(agent: phaseAgent, at: phaseSince)
            case .vacant: preconditionFailure("a vacant contact slot has no phase")
            }
        }
        set {
            switch newValue {
            case .arriving: (phaseKind, phaseAgent) = (.arriving, -1)
            case .queued: (phaseKind, phaseAgent) = (.queued, -1)
            case .held(let agent): (phaseKind, phaseAgent) = (.held, agent)
            case .offered(let agent, let at): (phaseKind, phaseAgent, phaseSince) = (.offered, agent, at)
            case .connected(let agent, let at): (phaseKind, phaseAgent, phaseSince) = (.connected, agent, at)
            case .wrapUp(let agent, let at): (phaseKind, phaseAgent, phaseSince) = (.wrapUp, agent, at)
            }
        }
    }
}

/// What the engine keeps of a contact beside its routing record, needed again only on overflow, rule swaps,
/// callbacks, status queries and the checks. Not the submission: that leaves with the `received` event. Held here
/// until the contact left, its box and fields were read once more only to be freed, long after they had left the
/// caches (3.9 of the 36.4 second-level misses of a decision, bench/README.md, session 20).
struct ContactDetails {
    var scoring: ScoringInputs
    var tenant: Int32
    var channel: Channel
    var callbackNumber: String?
    var extras: [SkillLevel]
    /// Set when the conversation ends, for the handle time when the wrap-up ends.
    var talkMilliseconds: Int64 = 0
    /// Agents who declined or missed this contact, kept away from it until `until`.
    var blocks: [DeclineBlock] = []

    /// What a slot holds until its first contact. A slot a contact left keeps that contact's details until the
    /// next one overwrites them, which it does at once in a steady state (free slots are taken last in, first
    /// out): clearing them on the way out, through `Optional`'s generic value witness, cost about 145 instructions
    /// a decision (callgrind, bench/README.md, session 26). Only live contacts' details are ever read.
    static let vacant = ContactDetails(
        scoring: ScoringInputs(priority: 0, profile: CustomerProfile()), tenant: -1, channel: .voice, callbackNumber: nil,
        extras: [])
}

/// The parts of a submission its score is made of: new rules score a waiting contact again from them.
struct ScoringInputs {
    var priority: Int
    var lifetimeValue: Double
    var churnRisk: Double
    var tier: String?

    init(priority: Int, profile: borrowing CustomerProfile) {
        self.priority = priority
        lifetimeValue = profile.lifetimeValue
        churnRisk = profile.churnRisk
        tier = profile.tier
    }
}

/// An available agent in one ring of one lane, ordered by the queue's strategy (smaller first).
struct AvailableAgent: Comparable {
    var primary: Int64
    var secondary: Int64
    var agent: Int32
    var epoch: UInt32

    static func < (lhs: AvailableAgent, rhs: AvailableAgent) -> Bool {
        (lhs.primary, lhs.secondary, lhs.agent) < (rhs.primary, rhs.secondary, rhs.agent)
    }
}

/// The contacts of one queue that share the same extra skill requirements, and the agents who can take them.
/// A contact at relaxation step s may go to an agent of ring r <= s (the first step at which the agent
/// qualifies); `available[r]` holds ring r's available agents.
struct Lane {
    var queue: Int32
    var tenant: Int32
    var extras: [SkillLevel]
    // Copied from the rules so that the hot path reads one struct.
    var channel: Channel
    var strategy: AgentSelectionStrategy
    var weight: Double
    var agingPerSecond: Double
    /// Milliseconds in queue at which each relaxation step starts; `stepStarts[0] == 0`.
    var stepStarts: [Int64]
    /// Queued contacts' orders (`QueuedKey.order`): the position an IVR announces, and the walk past contacts an
    /// agent declined. Orders alone, 16 bytes, not whole 32-byte keys: inserts and removes shift half the bytes.
    var order = RankedSet<UInt128>()
    /// Waiting contacts in entry order: the best contact each ring may take.
    var entries = EntryTournament()
    var available: [Heap<AvailableAgent>]
    var heapSizeAfterCompaction: [Int]
    /// Per ring r >= 1: when the armed crossing timer is due (`RoutingEngine.noRingTimer` if none), and the
    /// entry time up to which contacts have been checked on reaching step r. A ring's timer is armed only
    /// while the ring has available agents: in a busy centre a contact reaching a step costs nothing.
    var ringTimerDue: [Int64]
    var crossedThrough: [Int64]
    /// Agents with presence ready who qualify at some step: the staffing behind the wait estimate.
    var staffed = 0

    init(queue: Int32, tenant: Int32, extras: [SkillLevel], channel: Channel, strategy: AgentSelectionStrategy,
         weight: Double, agingPerSecond: Double, stepStarts: [Int64]) {
        self.queue = queue
        self.tenant = tenant
        self.extras = extras
        self.channel = channel
        self.strategy = strategy
        self.weight = weight
        self.agingPerSecond = agingPerSecond
        self.stepStarts = stepStarts
        available = Array(repeating: Heap(), count: stepStarts.count)
        heapSizeAfterCompaction = Array(repeating: 0, count: stepStarts.count)
        ringTimerDue = Array(repeating: RoutingEngine.noRingTimer, count: stepStarts.count)
        crossedThrough = Array(repeating: .min, count: stepStarts.count)
    }

}

struct LaneKey: Hashable {
    var queue: Int32
    var extras: [SkillLevel]
}

enum TimerKind: UInt8 {
    /// A contact's: the queue's max wait, its preferred-agent hold, its offer, its wrap-up, a decline block.
    case maxWait, holdExpiry, offerTimeout, wrapUpEnd, blockExpiry
    /// A lane's: contacts reach relaxation step `epoch` while that ring has available agents.
    case ringStep
}

struct TimerEntry: Comparable {
    var due: Int64
    var sequence: UInt64
    var kind: TimerKind
    /// The contact slot, or the lane for `ringStep`.
    var slot: Int32
    /// The slot's generation, or the lanes' generation for `ringStep`.
    var generation: UInt32
    /// The contact's timer epoch, or the ring for `ringStep`.
    var epoch: UInt32

    static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool { (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence) }
    static func == (lhs: TimerEntry, rhs: TimerEntry) -> Bool { lhs.sequence == rhs.sequence }
}

/// A contact still unanswered in a queue, for "longest wait".
struct WaitingSince {
    var enteredAt: Int64
    var slot: Int32
    var generation: UInt32
}
