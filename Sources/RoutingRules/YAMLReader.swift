import Yams

/// Walks a composed YAML tree, reading typed values, remembering the line of every path it visits and
/// collecting every mistake instead of stopping at the first.
struct YAMLReader {
    let file: String
    private(set) var diagnostics: [RuleDiagnostic] = []
    /// Line of each visited path (`queues.2.relaxation.1.after`), to place the core's semantic problems.
    private(set) var lines: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func error(_ message: String, at node: Node?, fallbackLine: Int = 1) {
        diagnostics.append(RuleDiagnostic(file: file, line: node?.mark?.line ?? fallbackLine, message: message))
    }

    mutating func error(_ message: String, line: Int) {
        diagnostics.append(RuleDiagnostic(file: file, line: line, message: message))
    }

    mutating func note(_ path: String, _ node: Node) {
        if let line = node.mark?.line { lines[path] = line }
    }

    /// The mapping's entries by key, after reporting keys that are not in `known` (with a suggestion).
    mutating func mapping(_ node: Node, path: String, known: [String]) -> [String: Node]? {
        note(path, node)
        guard case .mapping(let mapping) = node else {
            error("'\(Self.display(path))' must be a mapping of keys to values", at: node)
            return nil
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                error("keys must be plain strings", at: keyNode)
                continue
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            note(childPath, keyNode)
            if !known.isEmpty, !known.contains(key) {
                let hint = Self.closest(to: key, in: known).map { "; did you mean '\($0)'?" } ?? ""
                error("unknown key '\(key)' in \(path.isEmpty ? "the rule file" : "'\(Self.display(path))'")\(hint)", at: keyNode)
                continue
            }
            entries[key] = value
        }
        return entries
    }

    /// Entries of a mapping whose keys are free-form (skill names, tier names, days).
    mutating func freeMapping(_ node: Node, path: String) -> [(key: String, keyNode: Node, value: Node)] {
        note(path, node)
        guard case .mapping(let mapping) = node else {
            error("'\(Self.display(path))' must be a mapping", at: node)
            return []
        }
        var entries: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                error("keys must be plain strings", at: keyNode)
                continue
            }
            note("\(path).\(key)", keyNode)
            entries.append((key, keyNode, value))
        }
        return entries
    }

    mutating func sequence(_ node: Node, path: String) -> [Node] {
        note(path, node)
        guard case .sequence(let sequence) = node else {
            error("'\(Self.display(path))' must be a list", at: node)
            return []
        }
        for (index, element) in sequence.enumerated() { note("\(path).\(index)", element) }
        return Array(sequence)
    }

    mutating func string(_ node: Node, path: String) -> String? {
        note(path, node)
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            error("'\(Self.display(path))' must be a non-empty string", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func strings(_ node: Node, path: String) -> [String] {
        sequence(node, path: path).enumerated().compactMap { string($0.element, path: "\(path).\($0.offset)") }
    }

    mutating func int(_ node: Node, path: String) -> Int? {
        note(path, node)
        guard case .scalar = node, let value = node.int else {
            error("'\(Self.display(path))' must be a whole number, got '\(node.string ?? "a collection")'", at: node)
            return nil
        }
        return value
    }

    mutating func number(_ node: Node, path: String) -> Double? {
        note(path, node)
        guard case .scalar = node, let value = node.float ?? node.int.map(Double.init) else {
            error("'\(Self.display(path))' must be a number, got '\(node.string ?? "a collection")'", at: node)
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, path: String) -> Bool? {
        note(path, node)
        guard case .scalar = node, let value = node.bool else {
            error("'\(Self.display(path))' must be true or false", at: node)
            return nil
        }
        return value
    }

    /// The line of `path` or of its nearest visited parent.
    func line(of path: String) -> Int {
        var candidate = path
        while !candidate.isEmpty {
            if let line = lines[candidate] { return line }
            guard let dot = candidate.lastIndex(of: ".") else { break }
            candidate = String(candidate[..<dot])
        }
        return 1
    }

    /// `queues.2.max_wait` reads better to a person as `queues[2].max_wait`.
    static func display(_ path: String) -> String {
        path.split(separator: ".").map { part in part.allSatisfy(\.isNumber) ? "[\(part)]" : ".\(part)" }
            .joined().drop { $0 == "." }.description
    }

    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, word.count / 3) else { return nil }
        return best
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1]
            for (j, right) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
