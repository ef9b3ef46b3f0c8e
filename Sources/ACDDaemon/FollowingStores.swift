/// The CRM stores running as their own processes (`acdd crm-store`) that report how far they have written this
/// daemon run's events. A store heard from within `silence` counts as the in-process store does: the replay
/// buffer keeps what it has not written, and intake waits for it. One silent for longer (stopped, crashed, cut
/// off) stops counting until it reports again, so that a store that is gone never holds up routing; what it
/// misses meanwhile it fetches from the replay buffer when it comes back, if the buffer still has it.
struct FollowingStores {
    struct Store {
        var name: String
        var writtenThrough: UInt64
        var lastReport: ContinuousClock.Instant
        /// Its silence has been reported (`takeNewlySilent`); cleared by its next report.
        var silenceAnnounced = false
    }

    let silence: Duration
    /// In the order they first reported; a handful at most, so a scan is cheaper than any index.
    private(set) var stores: [Store] = []

    init(silence: Duration) {
        self.silence = silence
    }

    var isEmpty: Bool { stores.isEmpty }

    /// Notes a report, replacing the store's last one; true when it is news for the log: the store's first report,
    /// or its first since it was announced silent.
    mutating func record(_ name: String, writtenThrough: UInt64, at now: ContinuousClock.Instant) -> Bool {
        guard let index = stores.firstIndex(where: { $0.name == name }) else {
            stores.append(Store(name: name, writtenThrough: writtenThrough, lastReport: now))
            return true
        }
        let wasSilent = stores[index].silenceAnnounced
        stores[index] = Store(name: name, writtenThrough: writtenThrough, lastReport: now)
        return wasSilent
    }

    func counts(_ store: Store, at now: ContinuousClock.Instant) -> Bool {
        now - store.lastReport <= silence
    }

    /// How far the slowest store that counts has written; nil when none counts.
    func slowestWrittenThrough(at now: ContinuousClock.Instant) -> UInt64? {
        var slowest: UInt64?
        for store in stores where counts(store, at: now) {
            slowest = min(slowest ?? .max, store.writtenThrough)
        }
        return slowest
    }

    /// The stores that stopped counting since the last call, for the log.
    mutating func takeNewlySilent(at now: ContinuousClock.Instant) -> [Store] {
        var silent: [Store] = []
        for index in stores.indices where !stores[index].silenceAnnounced && !counts(stores[index], at: now) {
            stores[index].silenceAnnounced = true
            silent.append(stores[index])
        }
        return silent
    }
}
