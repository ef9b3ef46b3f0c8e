import RoutingCore

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

/// How fast this machine is right now, taken before and after a benchmark: on this shared VM the same binary runs
/// a third slower or faster from one spell to the next, and these tell which kind of spell a figure came from.
struct MachineSpeed {
    /// `referenceLoopMilliseconds()`: the core's own speed.
    var loopMilliseconds: Double
    /// `memoryLatencyNanoseconds()`: the wait for a read that misses the core's own caches.
    var memoryNanoseconds: Double

    static func measure() -> MachineSpeed {
        MachineSpeed(loopMilliseconds: referenceLoopMilliseconds(), memoryNanoseconds: memoryLatencyNanoseconds())
    }

    var text: String { "reference loop \(loopMilliseconds) ms, memory \(memoryNanoseconds) ns" }
}

/// How long one read that misses the core's own caches takes right now, in nanoseconds: the best of three chases
/// of a million dependent loads, one per 64-byte line, in random order through 8 MiB (four times the two cores'
/// second-level caches, a quarter of the third-level cache). A routing decision waits on such reads (bench/README.md);
/// the third-level cache that should serve them is shared with the host's other guests, and when they crowd it
/// these reads take as long as reads from memory.
///
/// The lines are mapped apart from the heap, on huge pages where the kernel gives them (the engine's heap is, too):
/// a block this large freed through `malloc` would raise glibc's threshold for mapping blocks apart, and the
/// engine's arrays would then grow inside the heap, where freed memory stays resident.
func memoryLatencyNanoseconds() -> Double {
    let lineCount = (8 << 20) / 64
    let wordsPerLine = 64 / MemoryLayout<UInt32>.stride
    let bytes = lineCount * 64
    guard let mapping = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
          mapping != MAP_FAILED else { return .nan }
    defer { munmap(mapping, bytes) }
    _ = madvise(mapping, bytes, MADV_HUGEPAGE)
    let words = UnsafeMutableBufferPointer(start: mapping.assumingMemoryBound(to: UInt32.self), count: lineCount * wordsPerLine)
    // Line i's first word names the next line to read. Sattolo's shuffle of the identity leaves one cycle through
    // every line, so that the chase cannot fall into a short loop that the caches would hold.
    for line in 0..<lineCount { words[line * wordsPerLine] = UInt32(line) }
    var random = SplitMix64(seed: 64)
    for i in stride(from: lineCount - 1, to: 0, by: -1) {
        words.swapAt(i * wordsPerLine, Int(random.next() % UInt64(i)) * wordsPerLine)
    }
    for line in 0..<lineCount { words[line * wordsPerLine] *= UInt32(wordsPerLine) }
    let steps = 1_000_000
    var best = Double.infinity
    for _ in 0..<3 {
        let start = monotonicNanoseconds()
        if chase(words, steps: steps) == .max { print("memory chase reached the end") }
        best = min(best, Double(monotonicNanoseconds() - start) / Double(steps))
    }
    return (best * 10).rounded() / 10
}

/// Each load's address is the value the previous one read: no two overlap, whatever the processor does.
@inline(never)
private func chase(_ words: UnsafeMutableBufferPointer<UInt32>, steps: Int) -> UInt32 {
    var index: UInt32 = 0
    for _ in 0..<steps { index = words[Int(index)] }
    return index
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
