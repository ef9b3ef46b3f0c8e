import ACDDaemon
import ArgumentParser
import Foundation
import Logging
import RoutingCore
import RoutingRules
import Synchronization

/// Set from signal handlers, read by the daemon's loop: atomics are async-signal-safe.
private let stopRequested = Atomic<Bool>(false)
private let reloadRequested = Atomic<Bool>(false)

/// `acdd run`: the routing daemon.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the routing daemon: ZeroMQ endpoints for IVRs, agent desktops and admin, and an event stream.",
        discussion: """
            Prints the endpoints it bound on its first line. SIGTERM or SIGINT stop it; SIGHUP reloads the rules \
            (a bad rule set is refused, its errors logged, and the old one kept).
            """)

    @Option(help: "Rule file or directory; default: the rules embedded in the binary.") var rules: String?
    @Option(help: "ROUTER endpoint for telephony/IVR requests.") var contacts = "tcp://127.0.0.1:5570"
    @Option(help: "ROUTER endpoint for agent desktops.") var agents = "tcp://127.0.0.1:5571"
    @Option(help: "PUB endpoint for events.") var events = "tcp://127.0.0.1:5572"
    @Option(help: "ROUTER endpoint for administration.") var admin = "tcp://127.0.0.1:5573"
    @Option(help: "Largest accepted request, in bytes.") var maxMessageBytes: Int64 = 64 * 1024
    @Option(help: "Seed of the random agent-selection strategy.") var seed: UInt64 = 0
    @Option(help: "Seconds of desktop silence before a forced logout; 0 turns it off.") var heartbeatTimeout = 30
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "acdd")
        let path = rules
        let loadRules: () throws -> RuleSet = {
            if let path { try RuleLoader.load(path: path) } else { try RuleLoader.loadEmbeddedDefault() }
        }
        var configuration = DaemonConfiguration()
        configuration.contactsEndpoint = contacts
        configuration.agentsEndpoint = agents
        configuration.eventsEndpoint = events
        configuration.adminEndpoint = admin
        configuration.maximumMessageBytes = maxMessageBytes
        configuration.seed = seed
        configuration.heartbeatTimeoutSeconds = heartbeatTimeout

        let daemon: RoutingDaemon
        do {
            daemon = try RoutingDaemon(configuration: configuration, loadRules: loadRules, logger: logger)
        } catch let errors as RuleErrors {
            FileHandle.standardError.write(Data("\(errors)\n".utf8))
            throw ExitCode.failure
        }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGHUP) { _ in reloadRequested.store(true, ordering: .relaxed) }
        // A parent may start us with these blocked (Foundation's Process does): they would never arrive.
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, signal) }
        sigprocmask(SIG_UNBLOCK, &handled, nil)

        let endpoints = daemon.endpoints
        // Written unbuffered: scripts and tests read it to learn the ports chosen for `*`.
        let banner = "acdd listening contacts=\(endpoints["contacts"]!) agents=\(endpoints["agents"]!) events=\(endpoints["events"]!) admin=\(endpoints["admin"]!)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        logger.info("routing with rules from \(path ?? "the embedded default")")
        try daemon.run(
            until: { stopRequested.load(ordering: .relaxed) },
            takeReloadRequest: { reloadRequested.exchange(false, ordering: .relaxed) })
        let errors = daemon.errorCounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        logger.info("stopped after \(daemon.requestCount) requests; refused: \(errors.isEmpty ? "none" : errors)")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
