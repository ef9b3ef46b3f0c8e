import ACDClient
import ACDProtocol
import CRMStore
import Foundation
import Histogram
import Synchronization
import ZeroMQ

/// Open-loop load on a target (acdd or the relay): an IVR thread submits contacts on a fixed schedule, a desktop
/// thread takes each offer from the events endpoint, accepts and completes it. Latency is submit-to-offer,
/// measured from the time the submission was *due*, not sent, so a generator that falls behind (coordinated
/// omission) shows up in the figures instead of hiding them.
struct LoadGenerator {
    struct Target {
        var contacts, agents, events: String
        var tenant: String
    }

    struct Result {
        var rate: Int
        var sent: Int
        var handled: Int
        var refused: Int
        var histogram: Histogram<UInt64>
        var seconds: Double

        /// Every contact sent was offered and handled, the latency did not run away, and no backlog grew: the last
        /// offer came at most 2 % of the step late. Without that last condition a 2 s step could pass with a
        /// backlog building all along (56,000/s "sustained" at 54,385/s, then 50,400/s not sustained).
        var sustained: Bool {
            refused == 0 && handled >= sent && histogram.valueAtPercentile(99) < 100_000 && perSecond >= 0.98 * Double(rate)
        }
        var perSecond: Double { Double(handled) / seconds }
    }

    /// Shared between the two threads: when the schedule starts, and the first contact id of the step.
    private final class Step: Sendable {
        let startNanoseconds = Atomic<UInt64>(0)
        let firstContact = Atomic<UInt64>(0)
        let sent = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        /// The desktops' subscription has had time to reach the publisher.
        let desktopsReady = Atomic<Bool>(false)
    }

    let target: Target

    /// Runs `seconds` of load at `rate` contacts per second and waits (up to 3 s) for the last offers.
    func run(rate: Int, seconds: Double) throws -> Result {
        let step = Step()
        let interval = 1_000_000_000 / UInt64(rate)
        let count = Int(Double(rate) * seconds)
        let target = self.target
        let ivrRefusals = Atomic<Int>(0)
        @Sendable func countRefusals(_ replies: [UInt64]) {
            ivrRefusals.add(replies.count { $0 == Acd_V1_ContactReply.errorField }, ordering: .relaxed)
        }
        // One context, so one libzmq I/O thread for the IVR and the desktops: on two cores, a second one only
        // competed with the target for the CPU.
        let context = try ZMQContext()
        let ivr = Thread {
            nameCurrentThreadForTheKernel("bench-ivr")  // for bench/thread-cpu.sh and top -H
            do {
                let connection = try IVRConnection(context: context, endpoint: target.contacts, name: "ivr")
                while !step.desktopsReady.load(ordering: .acquiring) { usleep(1_000) }
                let submit = Acd_V1_SubmitContact.with { $0.tenant = target.tenant; $0.queue = "calls"; $0.channel = .voice }
                // Every submission is the same: serialized once, each sent under its own request id.
                let serializedSubmit: [UInt8] = try Acd_V1_ContactRequest.with { $0.submit = submit }.serializedBytes()
                // A first contact, answered before the clock starts, tells which id the scheduled ones begin at.
                let (probe, _) = try connection.call(.with { $0.submit = submit }, build: { $0.requestID = $1 }, id: \.requestID)
                guard case .queued(let queued)? = probe.body else { throw ACDClientError(code: "probe", message: "\(probe)") }
                step.firstContact.store(queued.contactID + 1, ordering: .relaxed)
                let start = monotonicNanoseconds() + 20_000_000
                step.startNanoseconds.store(start, ordering: .releasing)
                // Sleeps until the next submission is due, then sends every one that is due by then. Spinning on
                // the clock instead cost a whole core at high rates, a core the target needed; waking late only adds
                // latency, which is counted from the due time.
                for i in 0..<count {
                    let due = start + UInt64(i) * interval
                    let now = monotonicNanoseconds()
                    if due > now { usleep(UInt32(max(1, (due - now) / 1000))) }
                    try connection.send(serialized: serializedSubmit)
                    step.sent.store(i + 1, ordering: .relaxed)
                    if i % 64 == 0 { countRefusals(try connection.replyBodyFields()) }
                }
                let deadline = monotonicNanoseconds() + 3_000_000_000
                while !step.done.load(ordering: .relaxed), monotonicNanoseconds() < deadline {
                    _ = try connection.pollable.waitForMessage(timeout: 20)
                    countRefusals(try connection.replyBodyFields())
                }
            } catch {
                FileHandle.standardError.write(Data("load generator (IVR): \(error)\n".utf8))
            }
        }
        let result = Mutex<Result?>(nil)
        let desk = Thread {
            nameCurrentThreadForTheKernel("bench-desktops")
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var handled = 0, refused = 0
            var start: UInt64 = 0
            var lastHandled: UInt64 = 0
            do {
                let desktops = try DesktopConnection(context: context, endpoint: target.agents, name: "desk")
                let events = try EventSubscription(context: context, endpoint: target.events, topics: ["agent."])
                func answer(_ offer: (contactID: UInt64, agentID: String)) throws {
                    try desktops.send(offer.agentID, .accept, contact: offer.contactID)
                    try desktops.send(offer.agentID, .complete, contact: offer.contactID)
                }
                usleep(100_000)
                step.desktopsReady.store(true, ordering: .releasing)
                var first: UInt64 = 0
                let deadline = { start + UInt64(seconds * 1e9) + 3_000_000_000 }
                while start == 0 || (monotonicNanoseconds() < deadline() && handled < count) {
                    if start == 0, step.startNanoseconds.load(ordering: .acquiring) != 0 {
                        start = step.startNanoseconds.load(ordering: .acquiring)
                        first = step.firstContact.load(ordering: .relaxed)
                    }
                    try waitForTraffic([events.pollable, desktops.pollable], timeoutMilliseconds: 5)
                    for batch in try events.batches(limit: 4096) {
                        try PublishedEvents.forEachEvent(inBatch: batch) { range in
                            guard let offer = ClientFrames.offer(in: batch, range: range) else { return }
                            if start != 0, offer.contactID >= first {
                                let due = start + (offer.contactID - first) * interval
                                lastHandled = monotonicNanoseconds()
                                _ = histogram.record(max(1, (lastHandled &- due) / 1000))
                                handled += 1
                            }
                            try answer(offer)
                        }
                    }
                    refused += try desktops.replyBodyFields().count { $0 == Acd_V1_AgentReply.errorField }
                }
                // A step that fell behind leaves contacts queued. The desktops answer them, uncounted, until the
                // offers stop: left ringing, each would hold its agent for the offer timeout, and the next step
                // would start with fewer agents and a backlog that is not its own.
                var lastOffer = monotonicNanoseconds()
                let drainDeadline = lastOffer + 60_000_000_000
                while monotonicNanoseconds() - lastOffer < 300_000_000, monotonicNanoseconds() < drainDeadline {
                    try waitForTraffic([events.pollable, desktops.pollable], timeoutMilliseconds: 20)
                    for batch in try events.batches(limit: 4096) {
                        try PublishedEvents.forEachEvent(inBatch: batch) { range in
                            guard let offer = ClientFrames.offer(in: batch, range: range) else { return }
                            lastOffer = monotonicNanoseconds()
                            try answer(offer)
                        }
                    }
                    _ = try desktops.replyBodyFields()
                }
            } catch {
                FileHandle.standardError.write(Data("load generator (desktops): \(error)\n".utf8))
            }
            step.done.store(true, ordering: .relaxed)
            // Throughput over the schedule, or until the last offer if it came later.
            let elapsed = lastHandled > start ? Double(lastHandled - start) / 1e9 : seconds
            result.withLock {
                $0 = Result(rate: rate, sent: count, handled: handled, refused: refused, histogram: histogram,
                            seconds: max(elapsed, seconds))
            }
        }
        desk.start()
        ivr.start()
        while result.withLock({ $0 == nil }) { usleep(10_000) }
        usleep(50_000)
        var final = result.withLock { $0! }
        final.refused += ivrRefusals.load(ordering: .relaxed)
        return final
    }
}
