import CZeroMQ

/// A libzmq failure: its errno and libzmq's own description.
public struct ZMQError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32

    /// Libzmq's text for the code. Looked up when asked for: a non-blocking receive that finds nothing fails
    /// with EAGAIN at the end of every turn of the daemon's loop, and nobody reads that error's text.
    public var message: String { String(cString: zmq_strerror(code)) }

    /// The error libzmq reported for the call that just failed.
    static func last() -> ZMQError {
        ZMQError(code: zmq_errno())
    }

    public var description: String { "zmq error \(code): \(message)" }

    /// The call would block (EAGAIN): nothing to receive, or a full queue under `dontWait`.
    public var wouldBlock: Bool { code == EAGAIN }
}
