#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic nanoseconds; cheaper than `ContinuousClock` in a tight loop.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// Resident set size now and at its peak, in MiB, from /proc/self/status.
func residentMemoryMiB() -> (current: Double, peak: Double) {
    let kib = procKibibytes("/proc/self/status", fields: ["VmRSS:", "VmHWM:"])
    return (Double(kib["VmRSS:"] ?? 0) / 1024, Double(kib["VmHWM:"] ?? 0) / 1024)
}

/// The `Name: N kB` lines of a /proc file whose names are in `fields`; empty where there is no such file.
func procKibibytes(_ path: String, fields: Set<String>) -> [String: Int] {
    guard let file = fopen(path, "r") else { return [:] }
    defer { fclose(file) }
    var values: [String: Int] = [:]
    var buffer = [CChar](repeating: 0, count: 256)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let words = line.split { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let name = words.first.map(String.init), fields.contains(name) else { continue }
        values[name] = words.dropFirst().compactMap { Int($0) }.first ?? 0
    }
    return values
}

/// Latency samples in nanoseconds, summarized as percentiles in microseconds.
struct LatencySamples {
    private(set) var nanoseconds: [UInt64] = []

    init(capacity: Int) { nanoseconds.reserveCapacity(capacity) }

    mutating func record(_ value: UInt64) { nanoseconds.append(value) }

    func percentilesMicroseconds(_ quantiles: [Double]) -> [Double] {
        guard !nanoseconds.isEmpty else { return quantiles.map { _ in 0 } }
        let sorted = nanoseconds.sorted()
        return quantiles.map { q in
            let index = min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)
            return Double(sorted[max(index, 0)]) / 1000
        }
    }
}

/// How fast this machine runs a fixed single-thread loop right now, in milliseconds (the best of five runs).
/// On a shared VM the same binary runs up to three or four times slower in some spells; printed before and after
/// a benchmark, it tells a slow spell from a slower version.
func referenceLoopMilliseconds() -> Double {
    var best = Double.infinity
    for _ in 0..<5 {
        let start = monotonicNanoseconds()
        // Seeded by the clock and checked before the clock is read again: a loop without side effects may
        // otherwise be dropped, or moved out of the timed span.
        if referenceLoop(seed: start, iterations: 20_000_000) == 0 { print("reference loop reached 0") }
        best = min(best, Double(monotonicNanoseconds() - start) / 1e6)
    }
    return (best * 10).rounded() / 10
}

/// A chain of dependent multiply-xorshift steps: one per iteration, whatever the compiler does.
@inline(never)
private func referenceLoop(seed: UInt64, iterations: Int) -> UInt64 {
    var x = seed | 1
    for _ in 0..<iterations {
        x = (x ^ (x >> 29)) &* 0xBF58_476D_1CE4_E5B9
    }
    return x
}
