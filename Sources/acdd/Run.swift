import ACDDaemon
import CRMStore
import ArgumentParser
import Foundation
import Logging
import RoutingCore
import RoutingRules


/// `acdd run`: the routing daemon.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the routing daemon: ZeroMQ endpoints for IVRs, agent desktops and admin, and an event stream.",
        discussion: """
            Prints the endpoints it bound on its first line. SIGTERM or SIGINT stop it; SIGHUP reloads the rules \
            (a bad rule set is refused, its errors logged, and the old one kept).
            """)

    @Option(help: "YAML file with any of these settings (keys as the flag names); flags win over it.")
    var config: String?
    @Option(help: "Rule file or directory; default: the rules embedded in the binary.") var rules: String?
    @Option(help: "CRM database (SQLite; created and migrated when missing); default: none, every caller unknown.")
    var crm: String?
    @Option(help: "Who writes the call cards: in-process (default) or external (an `acdd crm-store` beside it).")
    var crmWriter: CRMWriter?
    @Option(help: "ROUTER endpoint for telephony/IVR requests (default tcp://127.0.0.1:5570).") var contacts: String?
    @Option(help: "ROUTER endpoint for agent desktops (default tcp://127.0.0.1:5571).") var agents: String?
    @Option(help: "PUB endpoint for events (default tcp://127.0.0.1:5572).") var events: String?
    @Option(help: "ROUTER endpoint for administration and event replay (default tcp://127.0.0.1:5573).") var admin: String?
    @Option(help: "Largest accepted request, in bytes (default 65536).") var maxMessageBytes: Int64?
    @Option(help: "Seed of the random agent-selection strategy (default 0).") var seed: UInt64?
    @Option(help: "Seconds of desktop silence before a forced logout; 0 turns it off (default 30).") var heartbeatTimeout: Int?
    @Option(help: "Published events kept for subscribers that missed some (default 262144).") var replayBufferEvents: Int?
    @Option(help: "Events waiting for the in-process CRM store, at most, before it fetches them from the replay buffer instead (default 1048576).")
    var crmHandoffEvents: Int?
    @Option(help: "Events a CRM store may lag behind before new contacts wait until it catches up (default 131072).")
    var crmMaxLagEvents: Int?
    @Option(help: "Seconds an external CRM store that reports its progress may stay silent before routing stops waiting for it (default 5).")
    var crmStoreSilenceSeconds: Int?
    @Option(help: "Seconds to wait on stop for the CRM store's last writes (default 10).") var shutdownFlush: Int?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: Logger.Level?

    func run() throws {
        let file: RunConfigFile
        do {
            file = try config.map(RunConfigFile.load) ?? RunConfigFile()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        let level = try logLevel ?? file.logLevel.map { name in
            guard let level = Logger.Level(rawValue: name) else { throw ValidationError("log_level: unknown level '\(name)'") }
            return level
        } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "acdd")
        let path = rules ?? file.rules
        let loadRules: () throws -> RuleSet = {
            if let path { try RuleLoader.load(path: path) } else { try RuleLoader.loadEmbeddedDefault() }
        }
        var configuration = DaemonConfiguration()
        configuration.contactsEndpoint = contacts ?? file.contacts ?? configuration.contactsEndpoint
        configuration.agentsEndpoint = agents ?? file.agents ?? configuration.agentsEndpoint
        configuration.eventsEndpoint = events ?? file.events ?? configuration.eventsEndpoint
        configuration.adminEndpoint = admin ?? file.admin ?? configuration.adminEndpoint
        configuration.maximumMessageBytes = maxMessageBytes ?? file.maxMessageBytes ?? configuration.maximumMessageBytes
        configuration.seed = seed ?? file.seed ?? configuration.seed
        configuration.heartbeatTimeoutSeconds = heartbeatTimeout ?? file.heartbeatTimeout ?? configuration.heartbeatTimeoutSeconds
        configuration.replayBufferEvents = replayBufferEvents ?? file.replayBufferEvents ?? configuration.replayBufferEvents
        configuration.crmHandoffEvents = crmHandoffEvents ?? file.crmHandoffEvents ?? configuration.crmHandoffEvents
        configuration.crmMaximumLagEvents = crmMaxLagEvents ?? file.crmMaxLagEvents ?? configuration.crmMaximumLagEvents
        configuration.crmStoreSilenceSeconds = crmStoreSilenceSeconds ?? file.crmStoreSilenceSeconds ?? configuration.crmStoreSilenceSeconds
        configuration.shutdownFlushSeconds = shutdownFlush ?? file.shutdownFlush ?? configuration.shutdownFlushSeconds
        configuration.crmDatabasePath = crm ?? file.crm
        configuration.crmWriter = try crmWriter ?? file.crmWriter.map { name in
            guard let writer = CRMWriter(rawValue: name) else { throw ValidationError("crm_writer: expected in-process or external, got '\(name)'") }
            return writer
        } ?? configuration.crmWriter
        guard configuration.maximumMessageBytes > 0, configuration.replayBufferEvents > 0, configuration.crmHandoffEvents > 0,
              configuration.crmMaximumLagEvents > 0, configuration.crmStoreSilenceSeconds > 0 else {
            throw ValidationError(
                "max-message-bytes, replay-buffer-events, crm-handoff-events, crm-max-lag-events and crm-store-silence-seconds must be positive")
        }

        let daemon: RoutingDaemon
        do {
            daemon = try RoutingDaemon(configuration: configuration, loadRules: loadRules, logger: logger)
        } catch let errors as RuleErrors {
            FileHandle.standardError.write(Data("\(errors)\n".utf8))
            throw ExitCode.failure
        } catch let error as CRMError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        Signals.install()

        let endpoints = daemon.endpoints
        // Written unbuffered: scripts and tests read it to learn the ports chosen for `*`.
        let banner = "acdd listening contacts=\(endpoints["contacts"]!) agents=\(endpoints["agents"]!) events=\(endpoints["events"]!) admin=\(endpoints["admin"]!)\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        logger.info("routing with rules from \(path ?? "the embedded default"); CRM \(configuration.crmDatabasePath ?? "off")")
        try daemon.run(
            until: { Signals.stopRequested.load(ordering: .relaxed) },
            takeReloadRequest: { Signals.reloadRequested.exchange(false, ordering: .relaxed) })
        let errors = daemon.errorCounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        logger.info("stopped after \(daemon.requestCount) requests; refused: \(errors.isEmpty ? "none" : errors)")
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension CRMWriter: ExpressibleByArgument {}
