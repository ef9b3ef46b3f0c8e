import ArgumentParser

@main
struct ACDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acd-bench",
        abstract: "Benchmarks for the routing engine. Build with -c release; figures go in bench/README.md.",
        subcommands: [CoreBench.self, CRMBench.self, E2EBench.self, Relay.self])
}
