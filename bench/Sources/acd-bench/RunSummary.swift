import Foundation

/// Several full runs of `acd-bench e2e` as one set of figures: each number is the median of the runs' numbers at the
/// same place in their JSON, each text or list the runs' own, one per run. On this VM one run's maxima move by a
/// fifth or more from the next one's (the machine's speed drifts, and a 2 s step at the edge of what a target
/// sustains passes or fails by chance): in session 34, 13 runs put the store's cost anywhere from 0 to 43 %, so one
/// run cannot tell a store that costs 20 % from one that costs 30 %.
struct RunSummary {
    let json: [String: Any]
    let lines: [String]

    init(_ runs: [[String: Any]]) {
        precondition(!runs.isEmpty)
        var json = Self.merged(runs) as? [String: Any] ?? [:]
        func each(_ path: String...) -> [Double] {
            runs.map { run in
                var value: Any? = run
                for key in path { value = (value as? [String: Any])?[key] }
                return value.flatMap(Self.number) ?? .nan
            }
        }
        let on = each("crm_store", "on_contacts_per_sec"), off = each("crm_store", "off_contacts_per_sec")
        let cost = each("crm_store", "cost_percent"), relay = each("relay_contacts_per_sec")
        let p99 = each("p99_us"), relayP99 = each("relay_p99_us")
        let storeCPU = zip(each("same_rate", "cpu_us_per_contact", "store_on"), each("same_rate", "cpu_us_per_contact", "store_off"))
            .map { $0 - $1 }
        let complete = runs.filter { ($0["crm_store"] as? [String: Any])?["call_cards_complete"] as? Bool == true }.count
        json["runs"] = runs.count
        func whole(_ values: [Double]) -> [Int] { values.map { $0.isFinite ? Int($0.rounded()) : -1 } }
        json["per_run"] = [
            "contacts_per_sec": whole(on), "off_contacts_per_sec": whole(off), "cost_percent": whole(cost),
            "relay_contacts_per_sec": whole(relay), "p99_us": whole(p99), "relay_p99_us": whole(relayP99),
            "store_cpu_us_per_contact": storeCPU.map { ($0 * 100).rounded() / 100 },
        ]
        if var store = json["crm_store"] as? [String: Any] {
            store["call_cards_complete"] = complete == runs.count
            json["crm_store"] = store
        }
        self.json = json
        func listed(_ values: [Double], scale: Double, format: String) -> String {
            values.map { String(format: format, $0 / scale) }.joined(separator: ", ")
                + " (median " + String(format: format, Self.median(values) / scale) + ")"
        }
        lines = [
            "\(runs.count) runs, one after the other:",
            "  acdd, CRM store on, thousand contacts/s: \(listed(on, scale: 1000, format: "%.0f"))",
            "  acdd, CRM store off, thousand contacts/s: \(listed(off, scale: 1000, format: "%.0f"))",
            "  relay, thousand contacts/s: \(listed(relay, scale: 1000, format: "%.0f"))",
            "  the store's cost, %: \(listed(cost, scale: 1, format: "%.0f"))",
            "  the CPU the store adds per contact at the same rate (store on less store off), us: \(listed(storeCPU, scale: 1, format: "%.1f"))",
            "  p99 at 50 % of acdd's maximum, ms: \(listed(p99, scale: 1000, format: "%.2f"))",
            "  the relay's p99 at 50 % of its own maximum, ms: \(listed(relayP99, scale: 1000, format: "%.2f"))",
            "  every answered contact had its call card and no event was lost in \(complete) of \(runs.count) runs",
        ]
    }

    /// Dictionaries key by key; numbers to their median (a whole number if every one is); anything else as the list
    /// of the runs' values.
    static func merged(_ values: [Any]) -> Any {
        if let dictionaries = values as? [[String: Any]] {
            var merged: [String: Any] = [:]
            for key in dictionaries[0].keys { merged[key] = Self.merged(dictionaries.compactMap { $0[key] }) }
            return merged
        }
        let numbers = values.compactMap(number)
        guard numbers.count == values.count, !numbers.isEmpty else { return values }
        let middle = median(numbers)
        // Rounded as printf rounds the summary lines.
        return values.allSatisfy({ $0 is Int || $0 is UInt64 }) ? Int(middle.rounded(.toNearestOrEven)) : (middle * 1000).rounded() / 1000
    }

    static func number(_ value: Any) -> Double? {
        switch value {
        case let value as Int: Double(value)
        case let value as UInt64: Double(value)
        case let value as Double: value
        default: nil
        }
    }

    /// The middle value, or the mean of the two middle ones.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let half = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2
    }
}
