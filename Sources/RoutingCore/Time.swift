/// A point in time, in milliseconds since the Unix epoch (UTC).
///
/// The core never reads a clock: every command and every `advance(to:)` carries the time,
/// so a run can be replayed exactly and simulated faster than real time.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public init(seconds: Double) { self.milliseconds = Int64((seconds * 1000).rounded()) }

    public static let epoch = Instant(milliseconds: 0)

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public func adding(milliseconds delta: Int64) -> Instant { Instant(milliseconds: milliseconds + delta) }
    public func adding(seconds delta: Int) -> Instant { adding(milliseconds: Int64(delta) * 1000) }

    /// Milliseconds from `earlier` to `self`.
    public func milliseconds(since earlier: Instant) -> Int64 { milliseconds - earlier.milliseconds }

    public var seconds: Double { Double(milliseconds) / 1000 }

    public var description: String { "t=\(milliseconds)ms" }
}
