import Foundation
import Testing

/// Runs the built `acdd` binary as a user would, and checks its output and exit status.
struct CommandLine {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `swift test` builds every product into the same directory as the test bundle.
    static var acdd: URL {
        URL(fileURLWithPath: Swift.CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("acdd")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = acdd
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }
}

@Suite struct CheckRulesCommandTests {
    @Test func shippedRulesPass() throws {
        let result = try CommandLine.run(["check-rules", "routing-rules"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tenant 'telco': 9 queues"))
        #expect(result.stdout.contains("tenant 'bank': 8 queues"))
        #expect(result.stdout.contains("tenant 'default': 6 queues"))
    }

    @Test func noArgumentsChecksTheEmbeddedDefault() throws {
        let result = try CommandLine.run(["check-rules"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("embedded default: tenant 'default'"))
    }

    @Test func brokenRulesPrintEveryProblemAsFileLineAndFail() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("acdd-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("shop.yaml")
        try """
        tenant: shop
        skills: [billing]
        queues:
          - name: billing
            skills: {fraud: 3}
            strategy: fastest
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandLine.run(["check-rules", directory.path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(file.path):5: queues[0].skills.fraud: unknown skill 'fraud'"))
        #expect(lines.contains { $0.hasPrefix("\(file.path):6: unknown strategy 'fastest'") })
        #expect(lines.last == "2 problem(s) in 1 file(s)")
    }

    @Test func missingPathIsAnError() throws {
        let result = try CommandLine.run(["check-rules", "/nonexistent/rules"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/rules:0: no such file or directory"))
    }
}
