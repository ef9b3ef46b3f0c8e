#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Transparent huge pages for the benchmark's own heap. A decision reads records chosen at random among hundreds of
/// megabytes; with 4 KiB pages nearly every such read also misses the TLB, and on a VM each of those misses walks
/// two sets of page tables. glibc puts its heap on huge pages (where the kernel's THP mode is `madvise`, the
/// default here) only when `GLIBC_TUNABLES` says so at process start, so the benchmark starts itself again with
/// it. `acdd` takes the same setting from its environment (README).
enum HugePages {
    static let tunable = "glibc.malloc.hugetlb=1"

    /// Runs this process again with the tunable set, unless it already is (or the exec fails: then the run goes on
    /// with ordinary pages, and its JSON says so).
    static func restartWithHugePagesIfNeeded() {
        #if os(Linux)
        let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) }
        guard !(current ?? "").contains("glibc.malloc.hugetlb") else { return }
        setenv("GLIBC_TUNABLES", current.map { "\($0):\(tunable)" } ?? tunable, 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // Only reached when the exec failed.
        perror("acd-bench: running again with huge pages")
        #endif
    }

    /// Anonymous memory of this process on huge pages, in MiB (`AnonHugePages` of /proc/self/smaps_rollup).
    static func anonymousHugePagesMiB() -> Int {
        (procKibibytes("/proc/self/smaps_rollup", fields: ["AnonHugePages:"])["AnonHugePages:"] ?? 0) / 1024
    }
}
