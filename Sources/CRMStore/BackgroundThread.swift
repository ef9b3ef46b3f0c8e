import Foundation
import Synchronization

/// A named thread running a loop until asked to stop, that says when it has finished: the shape of the CRM's
/// background work (the customer feed, the in-process store), which must never hold up the routing thread.
/// It starts at `ThreadPriority.background`.
public final class BackgroundThread: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Starts `body`, which should return soon after its argument returns true.
    public init(name: String, body: @escaping @Sendable (_ shouldStop: () -> Bool) -> Void) {
        let thread = Thread { [self] in
            nameCurrentThreadForTheKernel(name)
            ThreadPriority.background.applyToCurrentThread()
            body { stopRequested.load(ordering: .relaxed) }
            finished.store(true, ordering: .releasing)
        }
        thread.name = name
        thread.start()
    }

    public var isRunning: Bool { !finished.load(ordering: .acquiring) }

    /// Asks the loop to stop and waits for it to finish: at most `timeout`, or for as long as it takes.
    public func stop(waitingAtMost timeout: Duration? = nil) {
        stopRequested.store(true, ordering: .relaxed)
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while isRunning, deadline.map({ ContinuousClock.now < $0 }) ?? true { usleep(5_000) }
    }
}

/// Names the calling thread as `ps -T`, `top -H` and /proc show it (15 bytes at most), which `Thread.name` does
/// not do on Linux: tells the store's thread from the routing thread when measuring them.
public func nameCurrentThreadForTheKernel(_ name: String) {
    #if os(Linux)
    try? String(decoding: name.utf8.prefix(15), as: UTF8.self)
        .write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
    #endif
}

/// How a background thread competes for the CPU with the routing thread (on Linux; elsewhere nothing changes).
public enum ThreadPriority: Sendable {
    /// Nice 10: the scheduler favours the routing thread, but once this thread runs it keeps the CPU for its time
    /// slice even when the routing thread wakes up (measured: the CRM store's writes at nice 10 took the p99 of
    /// submit-to-offer from 0.33 ms to 1.9 ms at 4,000 contacts/s).
    case background
    /// `SCHED_IDLE`: runs only on a CPU nobody else wants, and gives it up as soon as another thread wakes up.
    /// On a machine busy for long it may get almost no CPU at all, which is why the store only uses it while it
    /// keeps up, and only where `idleIsReversible`.
    case idle
    /// Nice 0 at `SCHED_BATCH`, the routing thread's equal in CPU share but never preempting it on waking up, where
    /// the process may raise a thread back to it (CAP_SYS_NICE or an RLIMIT_NICE of 20); elsewhere it stays at
    /// nice 10, as `background`. For a store that has fallen far behind: at nice 10 on a saturated machine it fell
    /// further behind until the daemon paused intake for it, and the pauses were much of what the store cost
    /// (bench/README.md, session 19).
    case catchingUp
    /// Nice 0 as `catchingUp`, but long work runs 0.1 ms at a time with a rest of 0.2 ms after each run. For a
    /// store that `idle` does not keep up: on a machine whose two CPUs are busy three quarters of the time, a
    /// thread at `SCHED_IDLE` gets too little of what is left, and one at nice 0 writing flat out held a CPU for
    /// milliseconds at a stretch, which was the p99 of submit-to-offer (bench/README.md, session 28).
    case paced

    /// Whether a thread of this process can come back from `idle` to `background`. Linux lets a thread leave
    /// `SCHED_IDLE` only with CAP_SYS_NICE or an RLIMIT_NICE of at least 10 (an unprivileged user has 0 by
    /// default, and a container may drop the capability even for root), and a thread that cannot come back would
    /// stay idle however far behind it falls. Probed once, on a thread of its own.
    public static let idleIsReversible: Bool = {
        #if os(Linux)
        let reversible = Mutex(false)
        let probed = DispatchSemaphore(value: 0)
        let probe = Thread {
            var parameters = sched_param()
            if sched_setscheduler(0, idlePolicy, &parameters) == 0 {
                ThreadPriority.background.applyToCurrentThread()
                reversible.withLock { $0 = sched_getscheduler(0) == SCHED_OTHER }
            }
            probed.signal()
        }
        probe.start()
        probed.wait()
        return reversible.withLock { $0 }
        #else
        return false
        #endif
    }()

    #if os(Linux)
    /// SCHED_IDLE, which Glibc's Swift module does not export.
    private static let idlePolicy: Int32 = 5
    /// SCHED_BATCH, likewise: nice 0's share of the CPU, but a thread waking up does not preempt the one running.
    /// At SCHED_OTHER the paced store, waking after each rest, preempted whichever thread ran, the routing thread
    /// as often as not: at 116,000 contacts/s the routing thread was preempted 14,108 times a second beside it and
    /// 9,382 times at SCHED_BATCH, as often as with no store (bench/README.md, session 33).
    private static let batchPolicy: Int32 = 3
    #endif

    /// How a long piece of work at this priority gives the CPU up now and then, so that the routing thread does
    /// not wait behind it: after 0.1 ms of work, a yield at `background` and `idle`, a rest at `paced`. Not while
    /// catching up: each yield at nice 0 on a full machine let every other runnable thread take its time slice
    /// first, and a CRM store write of 30,000 events (12 ms of CPU) took 50 to 120 ms, in which the next write's
    /// events piled up until the daemon paused intake; without the yields, under 30 ms and no pause
    /// (bench/README.md, session 21).
    var longWorkPacer: WorkPacer {
        switch self {
        case .background, .idle: WorkPacer(runNanoseconds: 100_000, rest: .yield)
        case .paced: WorkPacer(runNanoseconds: 100_000, rest: .sleep(nanoseconds: 200_000))
        case .catchingUp: .unpaced
        }
    }

    public func applyToCurrentThread() {
        apply(toThread: 0)
    }

    /// As `applyToCurrentThread()`, for the thread of this process with kernel id `thread` (`currentKernelThreadID()`;
    /// 0 names the caller). Both calls act on that thread alone: Linux schedules threads.
    public func apply(toThread thread: Int32) {
        #if os(Linux)
        var parameters = sched_param()
        let id = id_t(bitPattern: thread)
        switch self {
        case .background:
            _ = sched_setscheduler(thread, SCHED_OTHER, &parameters)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id, 10)
        case .idle:
            _ = sched_setscheduler(thread, Self.idlePolicy, &parameters)
        case .catchingUp, .paced:
            // Leaving SCHED_IDLE keeps the nice value the thread had, which the kernel checks it may still have.
            _ = sched_setscheduler(thread, Self.batchPolicy, &parameters)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id, 0)
        }
        #endif
    }
}

/// The calling thread's kernel id, as `gettid()` gives it (Glibc's Swift module does not export it): the last part
/// of `/proc/thread-self`'s target, `<pid>/task/<tid>`. Nil where there is no such file.
public func currentKernelThreadID() -> Int32? {
    #if os(Linux)
    var target = [CChar](repeating: 0, count: 64)
    let length = readlink("/proc/thread-self", &target, target.count - 1)
    guard length > 0 else { return nil }
    let path = String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return path.split(separator: "/").last.flatMap { Int32($0) }
    #else
    return nil
    #endif
}
