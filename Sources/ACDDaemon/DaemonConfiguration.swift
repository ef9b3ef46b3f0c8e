/// Where `acdd` listens and what it routes with. Defaults bind to loopback only.
public struct DaemonConfiguration: Sendable {
    public var contactsEndpoint = "tcp://127.0.0.1:5570"
    public var agentsEndpoint = "tcp://127.0.0.1:5571"
    public var eventsEndpoint = "tcp://127.0.0.1:5572"
    public var adminEndpoint = "tcp://127.0.0.1:5573"
    /// Larger requests make libzmq drop the sender's connection (ZMQ_MAXMSGSIZE).
    public var maximumMessageBytes: Int64 = 64 * 1024
    /// Seed of the engine's `random` strategy.
    public var seed: UInt64 = 0
    /// A logged-in agent whose desktop sends nothing (any request counts) for this long is logged out by
    /// force: its pending offers go back to their queues. 0 turns the check off.
    public var heartbeatTimeoutSeconds = 30

    public init() {}
}
