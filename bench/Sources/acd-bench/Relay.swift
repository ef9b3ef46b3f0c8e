import ACDProtocol
import ArgumentParser
import Foundation
import ZeroMQ

/// The ceiling the end-to-end benchmark compares acdd with: the same traffic through a plain ZeroMQ relay built
/// with the project's wrapper — a ROUTER for the IVR, one for desktops, a PUB for offers — that routes nothing:
/// each submission is acknowledged and an offer of the same shape, in a batch as acdd publishes it, is published to
/// the next agent in turn.
struct Relay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay", abstract: "A ZeroMQ relay with acdd's message shapes and no routing (used by e2e).",
        shouldDisplay: false)

    @Option var agents = 100

    func run() throws {
        let context = try ZMQContext()
        func router() throws -> ZMQSocket {
            let socket = try ZMQSocket(context, type: .router)
            try socket.setLinger(milliseconds: 0)
            try socket.setSendHighWaterMark(0)
            try socket.setReceiveHighWaterMark(0)
            try socket.bind("tcp://127.0.0.1:*")
            return socket
        }
        let contacts = try router(), desktops = try router()
        let events = try ZMQSocket(context, type: .publisher)
        try events.setSendHighWaterMark(100_000)
        try events.bind("tcp://127.0.0.1:*")
        FileHandle.standardOutput.write(Data("relay listening contacts=\(contacts.lastEndpoint) agents=\(desktops.lastEndpoint) events=\(events.lastEndpoint)\n".utf8))
        signal(SIGTERM, SIG_DFL)
        var nextContact: UInt64 = 0
        var nextAgent = 0
        let topics = (0..<agents).map { Array("agent.bench-\($0)".utf8) }
        while true {
            let ready = try ZMQPoller.poll([contacts, desktops], timeout: 100)
            if ready[0] {
                while let frames = try contacts.receive(dontWait: true), let payload = frames.last {
                    let request = (try? Acd_V1_ContactRequest(serializedBytes: payload)) ?? .init()
                    nextContact += 1
                    let reply = Acd_V1_ContactReply.with {
                        $0.requestID = request.requestID
                        $0.queued = .with { $0.contactID = nextContact; $0.position = 1; $0.estimatedWaitSeconds = 0 }
                    }
                    _ = try contacts.send(Array(frames.dropLast()) + [try reply.serializedBytes()], dontWait: true)
                    let offer = Acd_V1_Event.with {
                        $0.sequence = nextContact
                        $0.atMs = Int64(Date().timeIntervalSince1970 * 1000)
                        $0.streamID = 1
                        $0.offered = .with {
                            $0.contactID = nextContact
                            $0.agentID = "bench-\(nextAgent)"
                            $0.queue = "calls"
                            $0.expiresAtMs = $0.expiresAtMs
                        }
                    }
                    let offerBytes: Data = try offer.serializedBytes()
                    let batch: [UInt8] = try Acd_V1_EventBatch.with { $0.events = [offerBytes] }.serializedBytes()
                    _ = try events.send([topics[nextAgent], batch], dontWait: true)
                    nextAgent = (nextAgent + 1) % agents
                }
            }
            if ready[1] {
                while let frames = try desktops.receive(dontWait: true), let payload = frames.last {
                    let request = (try? Acd_V1_AgentRequest(serializedBytes: payload)) ?? .init()
                    let reply = Acd_V1_AgentReply.with { $0.requestID = request.requestID; $0.ack = .init() }
                    _ = try desktops.send(Array(frames.dropLast()) + [try reply.serializedBytes()], dontWait: true)
                }
            }
        }
    }
}
