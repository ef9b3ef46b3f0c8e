import ArgumentParser
import Foundation
import RoutingCore
import RoutingRules

/// `acdd check-rules PATH...`: validates rule files and prints every mistake as `file:line: message`.
struct CheckRules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-rules",
        abstract: "Validate routing rule files; print every mistake as file:line: message.",
        discussion: "Each PATH is a rule file or a directory searched recursively for *.yaml. With no PATH, checks the embedded default rules.")

    @Argument(help: "Rule files or directories.")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    func run() throws {
        var diagnostics: [RuleDiagnostic] = []
        var loaded: [(String, RuleSet)] = []
        if paths.isEmpty {
            do { loaded.append(("embedded default", try RuleLoader.loadEmbeddedDefault())) } catch { diagnostics += error.diagnostics }
        }
        for path in paths {
            do { loaded.append((path, try RuleLoader.load(path: path))) } catch { diagnostics += error.diagnostics }
        }
        for diagnostic in diagnostics {
            FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
        }
        guard diagnostics.isEmpty else {
            let files = Set(diagnostics.map(\.file)).count
            FileHandle.standardError.write(Data("\(diagnostics.count) problem(s) in \(files) file(s)\n".utf8))
            throw ExitCode.failure
        }
        guard !quiet else { return }
        for (path, rules) in loaded {
            for tenant in rules.tenants {
                let channels = Dictionary(grouping: tenant.queues, by: \.channel)
                    .sorted { $0.key.rawValue < $1.key.rawValue }
                    .map { "\($0.value.count) \($0.key)" }.joined(separator: ", ")
                print("\(path): tenant '\(tenant.name)': \(tenant.queues.count) queues (\(channels)), \(tenant.skills.count) skills: OK")
            }
        }
    }
}
