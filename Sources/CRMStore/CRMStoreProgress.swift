import Synchronization

/// How far a CRM store has written the daemon's event stream, readable from any thread: the daemon reads it for
/// its statistics, to keep in its replay buffer what is not written, to tell how far behind the store is, and to
/// wait for the last writes when it stops.
public final class CRMStoreProgress: Sendable {
    private let streamValue = Atomic<UInt64>(0)
    private let writtenValue = Atomic<UInt64>(0)
    private let appliedValue = Atomic<UInt64>(0)
    private let lostValue = Atomic<UInt64>(0)

    public init() {}

    public var stream: UInt64 { streamValue.load(ordering: .acquiring) }
    /// Committed through: in the database.
    public var writtenThrough: UInt64 { writtenValue.load(ordering: .acquiring) }
    /// Events that left the daemon's replay buffer before the store could fetch them.
    public var lostEvents: UInt64 { lostValue.load(ordering: .relaxed) }

    /// How far `stream` is in the database: 0 until the store writes its first events.
    public func writtenThrough(of stream: UInt64) -> UInt64 {
        self.stream == stream ? writtenThrough : 0
    }

    /// How far the store has worked through `stream`: written, or applied in a transaction it will commit within
    /// `CRMStoreFollower.commitInterval`. What tells a store that keeps up from one that falls behind: the commits'
    /// spacing is not lag.
    public func appliedThrough(of stream: UInt64) -> UInt64 {
        self.stream == stream ? appliedValue.load(ordering: .acquiring) : 0
    }

    /// True once everything up to `sequence` of `stream` is in the database.
    public func hasWritten(through sequence: UInt64, of stream: UInt64) -> Bool {
        self.stream == stream && writtenThrough >= sequence
    }

    func record(stream: UInt64, writtenThrough: UInt64, appliedThrough: UInt64) {
        writtenValue.store(writtenThrough, ordering: .releasing)
        appliedValue.store(max(appliedThrough, writtenThrough), ordering: .releasing)
        streamValue.store(stream, ordering: .releasing)
    }

    func recordLoss(_ count: UInt64) {
        lostValue.add(count, ordering: .relaxed)
    }
}
