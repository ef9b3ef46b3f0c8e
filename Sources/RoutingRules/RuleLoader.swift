import Foundation
import RoutingCore
import Yams

/// Loads rule files (one tenant per file) into a validated `RuleSet`, or every mistake at once.
public enum RuleLoader {
    /// One rule file's text, named for diagnostics.
    public struct Source: Sendable {
        public var name: String
        public var text: String
        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    /// Every `*.yaml` / `*.yml` under `path` (recursively), or `path` itself when it is a file.
    public static func load(path: String) throws(RuleErrors) -> RuleSet {
        try load(sources: sources(at: path))
    }

    /// The rule set built into the binary (`routing-rules/default.yaml`), used when no rules are given.
    public static func loadEmbeddedDefault() throws(RuleErrors) -> RuleSet {
        try load(sources: [Source(name: "routing-rules/default.yaml", text: EmbeddedRules.defaultYAML)])
    }

    public static func sources(at path: String) throws(RuleErrors) -> [Source] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RuleErrors(diagnostics: [RuleDiagnostic(file: path, line: 0, message: "no such file or directory")])
        }
        var files = [path]
        if isDirectory.boolValue {
            let enumerator = FileManager.default.enumerator(atPath: path)
            files = (enumerator?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .sorted()
                .map { (path as NSString).appendingPathComponent($0) }
            if files.isEmpty {
                throw RuleErrors(diagnostics: [RuleDiagnostic(file: path, line: 0, message: "no .yaml rule files in this directory")])
            }
        }
        var sources: [Source] = []
        var unreadable: [RuleDiagnostic] = []
        for file in files {
            if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                sources.append(Source(name: file, text: text))
            } else {
                unreadable.append(RuleDiagnostic(file: file, line: 0, message: "cannot read the file as UTF-8 text"))
            }
        }
        guard unreadable.isEmpty else { throw RuleErrors(diagnostics: unreadable) }
        return sources
    }

    public static func load(sources: [Source]) throws(RuleErrors) -> RuleSet {
        var diagnostics: [RuleDiagnostic] = []
        var tenants: [TenantRules] = []
        var readers: [String: YAMLReader] = [:]
        var fileOfTenant: [String: String] = [:]
        for source in sources {
            let root: Node?
            do {
                root = try Yams.compose(yaml: source.text)
            } catch {
                diagnostics.append(syntaxDiagnostic(error, file: source.name))
                continue
            }
            guard let root else {
                diagnostics.append(RuleDiagnostic(file: source.name, line: 1, message: "the file is empty"))
                continue
            }
            var parser = TenantRulesParser(file: source.name)
            let tenant = parser.parse(root)
            diagnostics += parser.reader.diagnostics
            guard let tenant else { continue }
            if let first = fileOfTenant[tenant.name] {
                diagnostics.append(RuleDiagnostic(file: source.name, line: parser.reader.line(of: "tenant"),
                                                  message: "tenant '\(tenant.name)' is already defined in \(first)"))
                continue
            }
            fileOfTenant[tenant.name] = source.name
            readers[tenant.name] = parser.reader
            tenants.append(tenant)
        }
        let rules = RuleSet(tenants: tenants)
        for problem in rules.problems() {
            guard let reader = readers[problem.tenant], let file = fileOfTenant[problem.tenant] else { continue }
            diagnostics.append(RuleDiagnostic(file: file, line: reader.line(of: problem.path),
                                              message: "\(YAMLReader.display(problem.path)): \(problem.message)"))
        }
        guard diagnostics.isEmpty else {
            throw RuleErrors(diagnostics: diagnostics.sorted { ($0.file, $0.line) < ($1.file, $1.line) })
        }
        return rules
    }

    private static func syntaxDiagnostic(_ error: any Error, file: String) -> RuleDiagnostic {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return RuleDiagnostic(file: file, line: mark.line, message: "YAML syntax: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return RuleDiagnostic(file: file, line: context.mark.line, message: "duplicate key(s) \(duplicates.joined(separator: ", "))")
        default:
            return RuleDiagnostic(file: file, line: 1, message: "YAML: \(error)")
        }
    }
}
