import Synchronization

/// How far a CRM store has written the daemon's event stream, readable from any thread: the daemon reads it for
/// its statistics and to wait for the last writes when it stops.
public final class CRMStoreProgress: Sendable {
    private let streamValue = Atomic<UInt64>(0)
    private let writtenValue = Atomic<UInt64>(0)
    private let lostValue = Atomic<UInt64>(0)

    public init() {}

    public var stream: UInt64 { streamValue.load(ordering: .acquiring) }
    public var writtenThrough: UInt64 { writtenValue.load(ordering: .acquiring) }
    /// Events that left the daemon's replay buffer before the store could fetch them.
    public var lostEvents: UInt64 { lostValue.load(ordering: .relaxed) }

    /// How far `stream` is in the database: 0 until the store writes its first events.
    public func writtenThrough(of stream: UInt64) -> UInt64 {
        self.stream == stream ? writtenThrough : 0
    }

    /// True once everything up to `sequence` of `stream` is in the database.
    public func hasWritten(through sequence: UInt64, of stream: UInt64) -> Bool {
        self.stream == stream && writtenThrough >= sequence
    }

    func record(stream: UInt64, writtenThrough: UInt64) {
        writtenValue.store(writtenThrough, ordering: .releasing)
        streamValue.store(stream, ordering: .releasing)
    }

    func recordLoss(_ count: UInt64) {
        lostValue.add(count, ordering: .relaxed)
    }
}
