import CZeroMQ

public enum ZMQSocketType: Sendable {
    case router, dealer, publisher, subscriber, request, reply, push, pull
    /// A publisher that also passes its subscribers' (un)subscriptions up as messages: `[1 or 0] + prefix`.
    case xpublisher

    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .publisher: ZMQ_PUB
        case .xpublisher: ZMQ_XPUB
        case .subscriber: ZMQ_SUB
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }
}

/// One libzmq socket. Like libzmq's, it must be used from one thread at a time: it is not `Sendable`.
/// Closed (with the linger set) when released.
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    /// Keeps the context alive while the socket exists: terminating a context waits for its sockets.
    private let context: ZMQContext

    public init(_ context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else { throw ZMQError.last() }
        self.handle = handle
        self.context = context
    }

    deinit { zmq_close(handle) }

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last() }
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last() }
    }

    /// The endpoint last bound, with the port the system chose for `tcp://127.0.0.1:*`.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Options
    // Set options before `bind`/`connect`: libzmq copies them into each listener and connection when it is
    // made, so a later change does not reach connections a bound socket accepts.

    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else { throw ZMQError.last() }
    }

    public func setOption(_ option: Int32, _ value: Int64) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else { throw ZMQError.last() }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let status = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard status == 0 else { throw ZMQError.last() }
    }

    /// Milliseconds to keep unsent messages after close; 0 drops them.
    public func setLinger(milliseconds: Int32) throws(ZMQError) { try setOption(ZMQ_LINGER, milliseconds) }
    /// Larger inbound messages make libzmq drop the peer's connection (ZMQ_MAXMSGSIZE).
    public func setMaximumMessageSize(_ bytes: Int64) throws(ZMQError) { try setOption(ZMQ_MAXMSGSIZE, bytes) }
    public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) { try setOption(ZMQ_SNDHWM, messages) }
    public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) { try setOption(ZMQ_RCVHWM, messages) }
    /// A DEALER's or REQ's identity as its ROUTER peer will see it.
    public func setRoutingID(_ id: [UInt8]) throws(ZMQError) { try setOption(ZMQ_ROUTING_ID, bytes: id) }
    /// A ROUTER fails sends to unknown peers (EHOSTUNREACH) instead of dropping them silently.
    public func setRouterMandatory(_ on: Bool) throws(ZMQError) { try setOption(ZMQ_ROUTER_MANDATORY, Int32(on ? 1 : 0)) }
    public func subscribe(_ prefix: [UInt8]) throws(ZMQError) { try setOption(ZMQ_SUBSCRIBE, bytes: prefix) }
    public func subscribe(_ prefix: String) throws(ZMQError) { try subscribe(Array(prefix.utf8)) }
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) { try setOption(ZMQ_RCVTIMEO, milliseconds) }

    // MARK: Messages

    /// Sends a multipart message. Returns false, sending nothing, when `dontWait` and the queue is full.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        try send(frames[...], dontWait: dontWait)
    }

    /// As `send(_:dontWait:)`, for frames that are part of a longer array (a message reused from turn to turn).
    @discardableResult
    public func send(_ frames: ArraySlice<[UInt8]>, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let last = frames.endIndex - 1
        for index in frames.indices {
            if try !sendFrame(frames[index], more: index < last, dontWait: dontWait) { return false }
        }
        return true
    }

    /// As `sendFrame(_:more:dontWait:)`, from an array.
    @discardableResult
    public func sendFrame(_ frame: [UInt8], more: Bool, dontWait: Bool = false) throws(ZMQError) -> Bool {
        // `withUnsafeBytes` rethrows untyped errors: the result carries the typed one out.
        try frame.withUnsafeBytes { bytes in
            Result { () throws(ZMQError) in try sendFrame(bytes, more: more, dontWait: dontWait) }
        }.get()
    }

    /// Sends one frame of a message from memory the caller owns (libzmq copies it); `more` when frames of the same
    /// message follow. Returns false, sending nothing, when `dontWait` and the queue is full, which libzmq can only
    /// answer to a message's first frame: it queues a multipart message atomically.
    @discardableResult
    public func sendFrame(_ bytes: UnsafeRawBufferPointer, more: Bool, dontWait: Bool = false) throws(ZMQError) -> Bool {
        var flags: Int32 = more ? ZMQ_SNDMORE : 0
        if dontWait { flags |= ZMQ_DONTWAIT }
        if zmq_send(handle, bytes.baseAddress, bytes.count, flags) >= 0 { return true }
        let error = ZMQError.last()
        if error.wouldBlock { return false }
        throw error
    }

    /// Receives one whole multipart message; nil when `dontWait` and nothing is queued (or a receive timeout).
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        guard try receive(into: &frames, dontWait: dontWait) != nil else { return nil }
        return frames
    }

    /// As `receive(dontWait:)`, into `frames[..<count]`, reusing the storage of the arrays already there (a daemon
    /// receives each request into the frames of an earlier one); returns the count. Frames past it are stale.
    public func receive(into frames: inout [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Int? {
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        var count = 0
        repeat {
            let flags: Int32 = dontWait && count == 0 ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, handle, flags) < 0 {
                let error = ZMQError.last()
                if error.wouldBlock, count == 0 { return nil }
                throw error
            }
            let bytes = UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message))
            if count < frames.count {
                // One replacement, where emptying and appending were two passes through the same generic code.
                frames[count].replaceSubrange(frames[count].indices, with: bytes)
            } else {
                // Room for a routed request's envelope and body at once, instead of growing the array frame by frame.
                if frames.isEmpty { frames.reserveCapacity(4) }
                frames.append(Array(bytes))
            }
            count += 1
        } while zmq_msg_more(&message) != 0
        return count
    }

    /// Whether a whole message can be received now, waiting up to `timeout` milliseconds (-1: forever).
    public func waitForMessage(timeout milliseconds: Int) throws(ZMQError) -> Bool {
        try ZMQPoller.poll([self], timeout: milliseconds).first!
    }
}

/// Waits on several sockets at once.
public enum ZMQPoller {
    /// For each socket, whether it has a message to receive, after at most `timeout` milliseconds (-1: forever).
    public static func poll(_ sockets: [ZMQSocket], timeout milliseconds: Int) throws(ZMQError) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        while zmq_poll(&items, Int32(items.count), milliseconds) < 0 {
            let error = ZMQError.last()
            guard error.code == EINTR else { throw error }
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
