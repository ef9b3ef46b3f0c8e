/// Where `acdd` listens and what it routes with. Defaults bind to loopback only.
public struct DaemonConfiguration: Sendable {
    public var contactsEndpoint = "tcp://127.0.0.1:5570"
    public var agentsEndpoint = "tcp://127.0.0.1:5571"
    public var eventsEndpoint = "tcp://127.0.0.1:5572"
    public var adminEndpoint = "tcp://127.0.0.1:5573"
    /// Larger requests get a `message_too_large` error reply.
    public var maximumMessageBytes: Int64 = 64 * 1024
    /// Seed of the engine's `random` strategy.
    public var seed: UInt64 = 0
    /// A logged-in agent whose desktop sends nothing (any request counts) for this long is logged out by
    /// force: its pending offers go back to their queues. 0 turns the check off.
    public var heartbeatTimeoutSeconds = 30
    /// The CRM database (customers, agents, call cards); nil runs without one: every caller is unknown and agents
    /// come only from admin requests.
    public var crmDatabasePath: String?
    /// Who writes the call cards into the CRM database.
    public var crmWriter = CRMWriter.inProcess
    /// Published events kept for subscribers that missed some (the CRM store among them).
    public var replayBufferEvents = 262_144
    /// Events the routing thread hands to the in-process CRM store that it has not taken yet, at most; beyond
    /// that the store fetches them from the replay buffer.
    public var crmHandoffEvents = 1 << 20
    /// Events published and not yet written by a CRM store, at most: past it the daemon stops reading
    /// new contacts (the IVR's requests wait in their sockets) until the store has caught up to half of it, so a
    /// store slower than the traffic slows intake instead of losing call cards. Agents' and admin requests and
    /// timers go on meanwhile.
    public var crmMaximumLagEvents = 1 << 17
    /// A CRM store running as its own process that reports its progress (`acdd crm-store`) is waited for like the
    /// in-process one (`crmMaximumLagEvents`, and the replay buffer keeps what it has not written) until it has
    /// been silent this long: then routing goes on without it. It reports after every write and at least once a
    /// second.
    public var crmStoreSilenceSeconds = 5
    /// How often customer profiles changed in the CRM database are read into the routing thread's cache.
    public var customerRefreshMilliseconds = 1000
    /// On SIGTERM, how long to wait for the CRM store to write the last events before closing anyway.
    public var shutdownFlushSeconds = 10

    public init() {}

    /// libzmq drops, without a reply, the connection of a peer sending more than this; requests between
    /// `maximumMessageBytes` and this get an error reply instead.
    var transportMessageLimit: Int64 { maximumMessageBytes * 16 }
}

/// Who writes the event stream into the CRM database.
public enum CRMWriter: String, Sendable, CaseIterable {
    /// A thread of the daemon (the default).
    case inProcess = "in-process"
    /// A separate `acdd crm-store --connect ...` process; the daemon only reads customers and agents.
    case external
}
