import CZeroMQ

/// A libzmq failure: its errno and libzmq's own description.
public struct ZMQError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32
    public var message: String

    /// The error libzmq reported for the call that just failed.
    static func last() -> ZMQError {
        let code = zmq_errno()
        return ZMQError(code: code, message: String(cString: zmq_strerror(code)))
    }

    public var description: String { "zmq error \(code): \(message)" }

    /// The call would block (EAGAIN): nothing to receive, or a full queue under `dontWait`.
    public var wouldBlock: Bool { code == EAGAIN }
}
