/// Converts a UTC instant to local time. The core stays clock- and Foundation-free; the rules loader
/// supplies a provider backed by the system's time-zone database.
public protocol UTCOffsetProvider: Sendable {
    /// The offset from UTC in seconds at `instant`, and the first instant at which it may change.
    func offset(at instant: Instant) -> (seconds: Int, validUntil: Instant)
}

public struct FixedUTCOffset: UTCOffsetProvider, Hashable {
    public var seconds: Int
    public init(seconds: Int) { self.seconds = seconds }
    public func offset(at instant: Instant) -> (seconds: Int, validUntil: Instant) {
        (seconds, Instant(milliseconds: .max))
    }
}

/// Weekly opening hours in a queue's time zone. A day with no interval is closed.
public struct OpenHours: Sendable {
    /// One entry per weekday, Monday = 0 ... Sunday = 6: half-open intervals in minutes since local midnight.
    public var weekly: [[Range<Int>]]
    public var timeZoneName: String
    public var offsets: any UTCOffsetProvider

    public init(weekly: [[Range<Int>]], timeZoneName: String, offsets: any UTCOffsetProvider) {
        precondition(weekly.count == 7, "one entry per weekday")
        self.weekly = weekly
        self.timeZoneName = timeZoneName
        self.offsets = offsets
    }

    public func isOpen(at instant: Instant, offsetSeconds: Int) -> Bool {
        let localSeconds = instant.milliseconds / 1000 + Int64(offsetSeconds)
        let days = localSeconds >= 0 ? localSeconds / 86_400 : (localSeconds - 86_399) / 86_400
        let minuteOfDay = Int((localSeconds - days * 86_400) / 60)
        // 1970-01-01 was a Thursday (index 3 with Monday = 0).
        let weekday = Int(((days + 3) % 7 + 7) % 7)
        return weekly[weekday].contains { $0.contains(minuteOfDay) }
    }

    public func isOpen(at instant: Instant) -> Bool {
        isOpen(at: instant, offsetSeconds: offsets.offset(at: instant).seconds)
    }
}
