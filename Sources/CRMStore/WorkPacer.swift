#if canImport(Glibc)
import Glibc
#endif

/// Cuts a long piece of work into runs of at most `runNanoseconds`, each followed by a rest, so that a thread
/// sharing two CPUs with the routing thread and its socket threads never holds one for long. What hurt
/// submit-to-offer latency was not the store's CPU time but how long it held a CPU at a stretch: beside a
/// store-off daemon at 56,000 contacts/s (p99 0.47–0.96 ms alone), a background load of a tenth of a core at nice 0
/// gave a p99 of 2.9 ms in runs of 3 ms, 0.96 ms in runs of 0.5 ms and 0.53 ms in runs of 0.2 ms (bench/README.md,
/// session 28).
///
/// The work calls `mayRest()` often (every few microseconds of work); it reads the clock and rests once the run
/// has lasted long enough.
struct WorkPacer {
    enum Rest: Equatable {
        /// Never rests: work that must catch up runs flat out.
        case none
        /// `sched_yield`: lets whatever else is runnable go first, and goes on at once if nothing is.
        case yield
        /// Sleeps this long: the CPU is left to the other threads even if the scheduler would have kept this one.
        case sleep(nanoseconds: Int)
    }

    let runNanoseconds: UInt64
    let rest: Rest
    private let clock: () -> UInt64
    private let performRest: (Rest) -> Void
    private var runStartedAt: UInt64 = 0
    /// How much longer than asked the last sleeps lasted, not yet taken off a rest.
    private var overslept: UInt64 = 0

    /// `clock` and `performRest` are for tests; by default the monotonic clock, and a real yield or sleep.
    init(
        runNanoseconds: UInt64, rest: Rest, clock: @escaping () -> UInt64 = monotonicNanoseconds,
        performRest: @escaping (Rest) -> Void = WorkPacer.perform
    ) {
        self.runNanoseconds = runNanoseconds
        self.rest = rest
        self.clock = clock
        self.performRest = performRest
    }

    /// A pacer that never rests.
    static var unpaced: WorkPacer { WorkPacer(runNanoseconds: .max, rest: .none) }

    /// A new piece of work starts: its first run starts now.
    mutating func startRun() {
        guard rest != .none else { return }
        runStartedAt = clock()
    }

    /// Rests if the current run has lasted `runNanoseconds`, then starts the next run.
    mutating func mayRest() {
        guard rest != .none, clock() &- runStartedAt >= runNanoseconds else { return }
        if case .sleep(let nanoseconds) = rest {
            sleep(owing: UInt64(nanoseconds))
        } else {
            performRest(rest)
        }
        runStartedAt = clock()
    }

    /// Sleeps for a rest less what the sleeps before it overslept, so that the rests last their length on average.
    /// A sleep of 0.2 ms lasted 0.29–0.37 ms on average in a paced store at 100,000–140,000 contacts/s end to end
    /// (the timer's slack, then the wait for a CPU), which held the store to about a quarter of a CPU instead of a
    /// third: it fell behind until it wrote flat out, and intake paused. Counting the oversleep, the sleeps lasted
    /// 0.22–0.23 ms on average at 125,000 contacts/s, and intake did not pause in four runs, against 4 pauses in all
    /// before (bench/README.md, session 34). At most one rest is carried over, so that a run never goes on for more
    /// than twice its length.
    private mutating func sleep(owing owed: UInt64) {
        guard overslept < owed else {
            overslept -= owed
            return
        }
        let started = clock()
        performRest(.sleep(nanoseconds: Int(owed - overslept)))
        let slept = overslept + (clock() &- started)
        overslept = slept > owed ? min(owed, slept - owed) : 0
    }

    static func perform(_ rest: Rest) {
        switch rest {
        case .none:
            break
        case .yield:
            sched_yield()
        case .sleep(let nanoseconds):
            var interval = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
            nanosleep(&interval, nil)
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: cheap (the vDSO), and what the kernel's sleeps are measured against.
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
