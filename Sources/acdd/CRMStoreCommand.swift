import ArgumentParser
import CRMStore
import Foundation
import Logging
import ZeroMQ

/// `acdd crm-store`: the CRM store as its own process, beside a daemon started with `--crm-writer external`.
struct CRMStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-store",
        abstract: "Follow a running acdd's event stream into the CRM database's call cards.",
        discussion: """
            Catches up from the daemon's replay buffer after a gap or a restart; writes each event once. \
            SIGTERM or SIGINT stop it after it has written what it holds.
            """)

    @Option(help: "CRM database (created and migrated when missing).") var crm = "acdd-crm.sqlite"
    @Option(help: "The daemon's events endpoint (PUB).") var connect = "tcp://127.0.0.1:5572"
    @Option(help: "The daemon's admin endpoint, for replays and progress reports.") var admin = "tcp://127.0.0.1:5573"
    @Option(help: "The name this store reports its progress to the daemon under; default: this host and the database's path.")
    var name: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info

    /// The same store started again keeps its name, so the daemon takes its reports for the ones before.
    private var defaultName: String {
        "\(ProcessInfo.processInfo.hostName):\(URL(fileURLWithPath: crm).standardizedFileURL.path)"
    }

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "acdd-crm-store")
        let progress = CRMStoreProgress()
        let follower = try CRMStoreFollower(
            database: try CRMDatabase(path: crm), source: .subscription(eventsEndpoint: connect, name: name ?? defaultName),
            adminEndpoint: admin, context: try ZMQContext(), progress: progress, logger: logger)
        Signals.install()
        FileHandle.standardOutput.write(Data("acdd crm-store following \(connect) into \(crm)\n".utf8))
        try follower.run(until: { Signals.stopRequested.load(ordering: .relaxed) })
        logger.info("stopped: stream \(progress.stream) written through \(progress.writtenThrough); \(progress.lostEvents) events lost")
    }
}
