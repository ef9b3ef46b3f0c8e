import ArgumentParser
import CRMStore
import Foundation
import RoutingCore

/// `acdd seed-demo`: demo customers and agents for the embedded default rules (tenant `default`), so that the
/// README's examples route to someone and VIP callers are recognised by their number.
struct SeedDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Fill an empty CRM database with demo customers, agents and skills for the default rules.")

    @Option(help: "CRM database to create or fill; must hold no customers and no agents.") var crm = "acdd-crm.sqlite"
    @Option(help: "Generated customers, besides the four named ones.") var customers = 1000
    @Option(help: "Agents of tenant 'default'.") var agents = 12

    func run() throws {
        let database = try CRMDatabase(path: crm)
        guard try database.isEmpty() else {
            throw ValidationError("\(crm) already holds customers or agents; seed-demo only fills an empty database")
        }
        let customers = DemoData.customers(generated: max(0, self.customers))
        let agents = DemoData.agents(count: max(0, self.agents))
        try database.importRecords(customers: customers, agents: agents)
        print("seeded \(crm): \(customers.count) customers, \(agents.count) agents of tenant 'default'")
    }
}

/// Deterministic demo data: the same command gives the same database.
enum DemoData {
    static let named = [
        CustomerRecord(id: "C-VIP-1", name: "Victoria Ingram", phone: "+15550100001", tier: "vip",
                       lifetimeValue: 250_000, churnRisk: 0.1, language: "en"),
        CustomerRecord(id: "C-GOLD-1", name: "Gustavo Olmedo", phone: "+15550100002", tier: "gold",
                       lifetimeValue: 42_000, churnRisk: 0.6, language: "es"),
        CustomerRecord(id: "C-SILVER-1", name: "Sasha Ilyina", phone: "+15550100003", tier: "silver",
                       lifetimeValue: 9_000, churnRisk: 0.2, language: "en"),
        CustomerRecord(id: "C-1", name: "Carl Unwin", phone: "+15550100004", lifetimeValue: 300, language: "en"),
    ]

    static func customers(generated: Int) -> [CustomerRecord] {
        var random = SplitMix64(seed: 2026)
        let tiers: [String?] = [nil, nil, nil, nil, nil, "silver", "silver", "gold", nil, "vip"]
        let generated = (0..<generated).map { n in
            let tier = tiers[n % tiers.count]
            let value = Double(random.next() % 5_000) * (tier == nil ? 1 : tier == "silver" ? 4 : tier == "gold" ? 10 : 40)
            return CustomerRecord(
                id: "C-\(100_000 + n)", name: "Customer \(100_000 + n)", phone: "+1555\(2_000_000 + n)", tier: tier,
                lifetimeValue: value, churnRisk: Double(random.next() % 101) / 100,
                language: random.next() % 4 == 0 ? "es" : "en")
        }
        return named + generated
    }

    static func agents(count: Int) -> [AgentProfile] {
        let names = ["Ana", "Bruno", "Chen", "Dalia", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Julia", "Kofi", "Lena"]
        return (0..<count).map { n in
            var skills = ["general": 5 + n % 5, "english": 7 + n % 4]
            if n % 3 == 0 { skills["sales"] = 4 + n % 6 }
            if n % 2 == 0 { skills["support"] = 3 + n % 8 }
            if n % 4 == 1 { skills["billing"] = 6 }
            if n % 3 == 2 { skills["spanish"] = 8 }
            let name = n < names.count ? names[n] : "Agent \(n + 1)"
            return AgentProfile(
                id: AgentID(String(format: "agent-%02d", n + 1)), name: name, tenant: "default",
                team: n % 4 == 3 ? "specialists" : "frontline", skills: skills)
        }
    }
}
