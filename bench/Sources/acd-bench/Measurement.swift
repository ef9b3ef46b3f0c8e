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
    guard let file = fopen("/proc/self/status", "r") else { return (0, 0) }
    defer { fclose(file) }
    var current = 0.0, peak = 0.0
    var buffer = [CChar](repeating: 0, count: 256)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let kib = Double(line.split(separator: " ").compactMap { Int($0) }.first ?? 0)
        if line.hasPrefix("VmRSS:") { current = kib / 1024 }
        if line.hasPrefix("VmHWM:") { peak = kib / 1024 }
    }
    return (current, peak)
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
