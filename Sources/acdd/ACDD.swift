import ArgumentParser

@main
struct ACDD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acdd",
        abstract: "Contact-center routing engine: routes calls, chats, emails and callbacks to the best agent.",
        subcommands: [Run.self, CheckRules.self, SeedDemo.self, CRMStoreCommand.self])
}
