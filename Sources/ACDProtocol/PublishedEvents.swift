/// How the daemon publishes events: a message is the topic frame, then one frame, an `EventBatch` with only `events`
/// set: the binary `Event`s under that topic of one turn of the daemon's loop, in sequence order. One frame for them
/// all rather than a frame per event: each frame is a message part that libzmq allocates, copies, queues and hands
/// over on its own, in the daemon, in its I/O thread and in every subscriber, and a busy daemon publishes nine events
/// per contact, seven of them to the contact's desktop (bench/README.md, session 20).
public enum PublishedEvents {
    /// `EventBatch.events`.
    static let eventsField: UInt64 = 4

    /// Appends one binary event to the batch frame being built in `batch`.
    public static func append(_ event: UnsafeRawBufferPointer, to batch: inout [UInt8]) {
        batch.append(UInt8(eventsField << 3 | 2))
        var length = event.count
        while length >= 0x80 {
            batch.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        batch.append(UInt8(length))
        batch.append(contentsOf: event)
    }

    /// Calls `body` with where each event lies in `frame`, in order, without copying any. Returns false when the
    /// frame is not a well-formed batch, after the events before the fault; fields other than `events` are skipped.
    @discardableResult
    public static func forEachEvent(inBatch frame: [UInt8], _ body: (Range<Int>) throws -> Void) rethrows -> Bool {
        var reader = ProtobufReader(frame)
        while true {
            let next: (field: UInt64, value: ProtobufReader.Value)?
            do {
                next = try reader.next()
            } catch {
                return false
            }
            guard let (field, value) = next else { return true }
            if field == eventsField, case .bytes(let range) = value { try body(range) }
        }
    }

    /// Each event of a batch frame in bytes of its own; nil when the frame is not a well-formed batch.
    public static func events(inBatch frame: [UInt8]) -> [[UInt8]]? {
        var events: [[UInt8]] = []
        guard forEachEvent(inBatch: frame, { events.append(Array(frame[$0])) }) else { return nil }
        return events
    }
}
