import Testing
import ZeroMQ

/// Real sockets on loopback, ports chosen by the system.
@Suite struct ZeroMQSocketTests {
    let context: ZMQContext

    init() throws { context = try ZMQContext() }

    private func socket(_ type: ZMQSocketType) throws -> ZMQSocket {
        let socket = try ZMQSocket(context, type: type)
        try socket.setLinger(milliseconds: 0)
        return socket
    }

    private func boundRouter() throws -> (ZMQSocket, String) {
        let router = try socket(.router)
        try router.bind("tcp://127.0.0.1:*")
        return (router, router.lastEndpoint)
    }

    @Test func routerAndDealerExchangeMultipartMessagesByIdentity() throws {
        let (router, endpoint) = try boundRouter()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let dealer = try socket(.dealer)
        try dealer.setRoutingID(Array("ivr-1".utf8))
        try dealer.connect(endpoint)
        try dealer.send([Array("submit".utf8), [0, 1, 2, 255]])
        #expect(try router.waitForMessage(timeout: 2_000))
        let request = try #require(try router.receive())
        #expect(request == [Array("ivr-1".utf8), Array("submit".utf8), [0, 1, 2, 255]])
        try router.send([request[0], Array("queued".utf8)])
        #expect(try dealer.waitForMessage(timeout: 2_000))
        #expect(try dealer.receive() == [Array("queued".utf8)])
    }

    /// Frames received into earlier ones hold exactly the new bytes, shorter or longer; the ones past the count
    /// stay as they were. Raw frames sent one by one make one message.
    @Test func receivingIntoEarlierFramesReplacesTheirBytes() throws {
        let (router, endpoint) = try boundRouter()
        let dealer = try socket(.dealer)
        try dealer.setRoutingID(Array("desk".utf8))
        try dealer.connect(endpoint)
        var frames: [[UInt8]] = [Array(repeating: 7, count: 40), Array(repeating: 8, count: 40), [9]]
        try dealer.send([[1, 2, 3]])
        #expect(try router.waitForMessage(timeout: 2_000))
        #expect(try router.receive(into: &frames, dontWait: true) == 2)
        #expect(frames == [Array("desk".utf8), [1, 2, 3], [9]])
        let long = [UInt8](repeating: 5, count: 300)
        try long.withUnsafeBytes { _ = try dealer.sendFrame($0, more: true) }
        try [UInt8]([6]).withUnsafeBytes { _ = try dealer.sendFrame($0, more: false) }
        #expect(try router.waitForMessage(timeout: 2_000))
        #expect(try router.receive(into: &frames, dontWait: true) == 3)
        #expect(frames == [Array("desk".utf8), long, [6]])
        #expect(try router.receive(into: &frames, dontWait: true) == nil)
    }

    @Test func receiveWithoutWaitingReturnsNilWhenNothingIsQueued() throws {
        let (router, _) = try boundRouter()
        #expect(try router.receive(dontWait: true) == nil)
        #expect(try router.waitForMessage(timeout: 10) == false)
    }

    @Test func subscribersGetOnlyTheirTopics() throws {
        let publisher = try socket(.publisher)
        try publisher.bind("tcp://127.0.0.1:*")
        let subscriber = try socket(.subscriber)
        try subscriber.subscribe("agent.ann.")
        try subscriber.connect(publisher.lastEndpoint)
        // A subscription reaches the publisher asynchronously: publish until the first message arrives (bounded).
        var received: [[UInt8]]?
        for _ in 0..<200 where received == nil {
            try publisher.send([Array("agent.bob.offer".utf8), [1]])
            try publisher.send([Array("agent.ann.offer".utf8), [2]])
            if try subscriber.waitForMessage(timeout: 10) { received = try subscriber.receive() }
        }
        #expect(received == [Array("agent.ann.offer".utf8), [2]])
        while let more = try subscriber.receive(dontWait: true) {
            #expect(more[0] == Array("agent.ann.offer".utf8), "no other agent's topic gets through")
        }
    }

    @Test func oversizedMessagesAreDroppedWithTheirConnection() throws {
        let router = try socket(.router)
        try router.setMaximumMessageSize(1_024)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = router.lastEndpoint
        let flooder = try socket(.dealer)
        try flooder.connect(endpoint)
        try flooder.send([[UInt8](repeating: 7, count: 4_096)])
        #expect(try router.waitForMessage(timeout: 300) == false)
        let polite = try socket(.dealer)
        try polite.connect(endpoint)
        try polite.send([[UInt8](repeating: 1, count: 512)])
        #expect(try router.waitForMessage(timeout: 2_000))
        #expect(try router.receive()?.last?.count == 512)
    }

    @Test func mandatoryRouterRefusesUnknownPeers() throws {
        let (router, _) = try boundRouter()
        try router.setRouterMandatory(true)
        #expect(throws: ZMQError.self) { try router.send([Array("nobody".utf8), [1]]) }
    }

    @Test func badEndpointsFailWithLibzmqsMessage() throws {
        let router = try socket(.router)
        do {
            try router.bind("tcp://not an address")
            Issue.record("bind should fail")
        } catch {
            #expect(!error.message.isEmpty)
        }
    }
}
