import Foundation
import RoutingCore

/// UTC offsets from the system's time-zone database, for opening hours. Lives outside the core so the core
/// stays free of Foundation; the engine caches each offset until the next daylight-saving transition.
struct TimeZoneOffsets: UTCOffsetProvider {
    let zone: TimeZone

    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
    }

    func offset(at instant: Instant) -> (seconds: Int, validUntil: Instant) {
        let date = Date(timeIntervalSince1970: instant.seconds)
        let next = zone.nextDaylightSavingTimeTransition(after: date)
        return (zone.secondsFromGMT(for: date), next.map { Instant(seconds: $0.timeIntervalSince1970) } ?? Instant(milliseconds: .max))
    }
}
