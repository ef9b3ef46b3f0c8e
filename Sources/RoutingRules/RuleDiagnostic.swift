/// One mistake in a rule file, printed as `file:line: message` like a compiler error.
public struct RuleDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Every mistake found in a set of rule files, in file and line order.
public struct RuleErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [RuleDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
