import Foundation
import RoutingCore
import SwiftProtobuf
import Testing
@testable import ACDProtocol

@Suite struct PublishedEventsTests {
    /// Events of every size the length prefix has to carry in one, two and three bytes.
    static let events: [[UInt8]] = EventEncoderTests.kinds.enumerated().map { index, kind in
        EventEncoder.encode(Event(sequence: UInt64(index + 1), at: Instant(milliseconds: 1_000), kind: kind), streamID: 7)
    } + [[], Array(repeating: 0x08, count: 127), Array(repeating: 0x08, count: 128), Array(repeating: 0x08, count: 20_000)]

    static func batch(_ events: [[UInt8]]) -> [UInt8] {
        var batch: [UInt8] = []
        for event in events { event.withUnsafeBytes { PublishedEvents.append($0, to: &batch) } }
        return batch
    }

    @Test func aBatchIsAnEventBatchOfTheEventsInOrder() throws {
        let batch = Self.batch(Self.events)
        let decoded = try Acd_V1_EventBatch(serializedBytes: batch)
        #expect(decoded.events.map { [UInt8]($0) } == Self.events)
        #expect(decoded.streamID == 0 && decoded.lastSequence == 0 && decoded.oldestSequence == 0)
        #expect(PublishedEvents.events(inBatch: batch) == Self.events)
    }

    @Test func readingInPlaceGivesEachEventsBytes() throws {
        let batch = Self.batch(Self.events)
        var seen: [[UInt8]] = []
        #expect(PublishedEvents.forEachEvent(inBatch: batch) { seen.append(Array(batch[$0])) })
        #expect(seen == Self.events)
        // What the generated code writes reads back the same, and other fields of the message are passed over.
        let generated: [UInt8] = try Acd_V1_EventBatch.with {
            $0.lastSequence = 9
            $0.events = Self.events.prefix(3).map { Data($0) }
        }.serializedBytes()
        #expect(PublishedEvents.events(inBatch: generated) == Array(Self.events.prefix(3)))
        #expect(PublishedEvents.events(inBatch: []) == [])
    }

    @Test func anOfferIsFoundInsideABatch() {
        let offer = EventEncoder.encode(
            Event(sequence: 3, at: Instant(milliseconds: 5), kind: .offered(ContactID(41), agent: "ana", queue: "q", expiresAt: Instant(milliseconds: 9))),
            streamID: 1)
        let state = EventEncoder.encode(Event(sequence: 4, at: Instant(milliseconds: 5), kind: .agentStateChanged("ana", state: .reserved, reason: nil)), streamID: 1)
        let batch = Self.batch([state, offer, state])
        var offers: [(contactID: UInt64, agentID: String)] = []
        PublishedEvents.forEachEvent(inBatch: batch) { range in
            if let found = ClientFrames.offer(in: batch, range: range) { offers.append(found) }
        }
        #expect(offers.map(\.contactID) == [41] && offers.map(\.agentID) == ["ana"])
    }

    @Test func aMalformedBatchIsToldApart() {
        let batch = Self.batch(Array(Self.events.prefix(2)))
        // A batch cut inside its second event; then a frame holding a fixed64 field, which no batch holds.
        let cut = Array(batch.dropLast(3))
        var passed = 0
        #expect(!PublishedEvents.forEachEvent(inBatch: cut) { _ in passed += 1 })
        #expect(passed == 1)
        #expect(PublishedEvents.events(inBatch: cut) == nil)
        #expect(PublishedEvents.events(inBatch: [0x09, 1, 2, 3, 4, 5, 6, 7, 8]) == nil)
    }
}
