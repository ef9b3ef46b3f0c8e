import Foundation
import Yams

/// `acdd run --config FILE`: the same settings as the flags, in YAML (keys are the flag names, `-` or `_`).
/// A flag given on the command line wins over the file. Unknown keys are errors, so a typo is not silently ignored.
struct RunConfigFile: Decodable {
    var rules: String?
    var crm: String?
    var crmWriter: String?
    var contacts: String?
    var agents: String?
    var events: String?
    var admin: String?
    var maxMessageBytes: Int64?
    var seed: UInt64?
    var heartbeatTimeout: Int?
    var logLevel: String?
    var replayBufferEvents: Int?
    var crmHandoffEvents: Int?
    var crmMaxLagEvents: Int?
    var crmStoreSilenceSeconds: Int?
    var shutdownFlush: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rules, crm, contacts, agents, events, admin, seed
        case crmWriter = "crm_writer"
        case maxMessageBytes = "max_message_bytes"
        case heartbeatTimeout = "heartbeat_timeout"
        case logLevel = "log_level"
        case replayBufferEvents = "replay_buffer_events"
        case crmHandoffEvents = "crm_handoff_events"
        case crmMaxLagEvents = "crm_max_lag_events"
        case crmStoreSilenceSeconds = "crm_store_silence_seconds"
        case shutdownFlush = "shutdown_flush"
    }

    static func load(path: String) throws -> RunConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigFileError("\(path): cannot read: \(error.localizedDescription)")
        }
        let normalized = try normalizeKeys(text, path: path)
        do {
            var file = try YAMLDecoder().decode(RunConfigFile.self, from: normalized)
            // Paths in the file are relative to the file, as a user reading it expects.
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            file.rules = file.rules.map { resolve($0, against: directory) }
            file.crm = file.crm.map { resolve($0, against: directory) }
            return file
        } catch {
            throw ConfigFileError("\(path): \(error)")
        }
    }

    /// Keys may be written with `-` as on the command line; values are left alone.
    private static func normalizeKeys(_ text: String, path: String) throws -> Node {
        guard let mapping = try? Yams.compose(yaml: text)?.mapping else {
            throw ConfigFileError("\(path): expected a mapping of settings")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        var result = Node.Mapping([])
        for (key, value) in mapping {
            let name = (key.string ?? "").replacingOccurrences(of: "-", with: "_")
            guard known.contains(name) else {
                throw ConfigFileError("\(path):\(key.mark.map { "\($0.line)" } ?? "?"): unknown setting '\(key.string ?? "")'; known: \(known.sorted().joined(separator: ", "))")
            }
            result[Node(name)] = value
        }
        return Node.mapping(result)
    }

    private static func resolve(_ path: String, against directory: URL) -> String {
        path.hasPrefix("/") ? path : directory.appendingPathComponent(path).path
    }
}

struct ConfigFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
