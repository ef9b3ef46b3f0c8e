import CZeroMQ

/// A libzmq context: owns the I/O threads; sockets are created from it. Thread-safe, as libzmq's context is.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last() }
        self.handle = handle
        guard zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) == 0 else { throw ZMQError.last() }
    }

    /// Blocks until every socket of this context is closed, then frees it.
    deinit {
        while zmq_ctx_term(handle) != 0, zmq_errno() == EINTR {}
    }
}
