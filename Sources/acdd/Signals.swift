import Foundation
import Synchronization

/// SIGTERM and SIGINT ask to stop, SIGHUP to reload the rules. Set from signal handlers and read by the loops:
/// atomics are async-signal-safe.
enum Signals {
    static let stopRequested = Atomic<Bool>(false)
    static let reloadRequested = Atomic<Bool>(false)

    static func install() {
        signal(SIGTERM) { _ in Signals.stopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in Signals.stopRequested.store(true, ordering: .relaxed) }
        signal(SIGHUP) { _ in Signals.reloadRequested.store(true, ordering: .relaxed) }
        // A parent may start us with these blocked (Foundation's Process does): they would never arrive.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        sigprocmask(SIG_UNBLOCK, &handled, nil)
    }
}
