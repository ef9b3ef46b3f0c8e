// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "acdd",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "RoutingCore", targets: ["RoutingCore"]),
        .library(name: "RoutingRules", targets: ["RoutingRules"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "ACDProtocol", targets: ["ACDProtocol"]),
        .library(name: "CRMStore", targets: ["CRMStore"]),
        .executable(name: "acdd", targets: ["acdd"]),
        .executable(name: "acd-bench", targets: ["acd-bench"]),
        .executable(name: "acd-sim", targets: ["acd-sim"]),
        .library(name: "ACDSimulation", targets: ["ACDSimulation"]),
        .library(name: "ACDClient", targets: ["ACDClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Pure, deterministic routing: no I/O, no clock, no Foundation.
        .target(
            name: "RoutingCore",
            dependencies: [
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
                "CPrefetch",
            ]
        ),
        // The processor's prefetch hint, for `RoutingEngine.prepare(_:)` and the CRM store's call cards.
        .target(name: "CPrefetch"),
        // YAML rule files -> validated RuleSet, with file:line diagnostics.
        .target(
            name: "RoutingRules",
            dependencies: ["RoutingCore", "Yams"]
        ),
        // libzmq from the system (Debian: libzmq3-dev), and the project's thin Swift wrapper over it.
        // No pkgConfig: Debian's libzmq.pc adds GSSAPI include flags SwiftPM rejects; zmq.h is in /usr/include.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // The wire schema (proto/acd.proto, generated Swift committed) and its mapping to and from the core.
        .target(
            name: "ACDProtocol",
            dependencies: ["RoutingCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // SQLite's process-wide settings, made before the first database opens (in C: `sqlite3_config` is variadic).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The CRM database (SQLite through GRDB): customers, agents, call cards, and the store that follows the
        // daemon's event stream into it.
        .target(
            name: "CRMStore",
            dependencies: [
                "RoutingCore", "ACDProtocol", "ZeroMQ", "CSQLiteSetup", "CPrefetch",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, to bind the call card's columns without boxing each value.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The daemon: owns the engine on one thread, serves the ZeroMQ endpoints, publishes events.
        .target(
            name: "ACDDaemon",
            dependencies: [
                "RoutingCore", "RoutingRules", "ZeroMQ", "ACDProtocol", "CRMStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "acdd",
            dependencies: [
                "RoutingCore",
                "RoutingRules",
                "ACDDaemon",
                "CRMStore",
                "Yams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // jemalloc in place of glibc's malloc: the daemon's threads free each other's memory (the CRM store the
            // routing thread's events, libzmq's I/O thread its messages), and glibc's arena lock made them wait on
            // each other (docs/architecture.md, "Memory").
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "acd-bench",
            dependencies: [
                "RoutingCore",
                "RoutingRules",
                "ACDProtocol",
                "CRMStore",
                "ACDClient",
                "ZeroMQ",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/Sources/acd-bench"
        ),
        // A client of the protocol for integrators: IVR side, desktop side, admin, events.
        .target(name: "ACDClient", dependencies: ["ACDProtocol", "ZeroMQ"]),
        // The load simulator: scenarios played against the routing core in virtual time.
        .target(
            name: "ACDSimulation",
            dependencies: [
                "RoutingCore", "Yams", "ACDClient", "ACDProtocol", "CRMStore",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            path: "simulators/Sources/ACDSimulation"
        ),
        .executableTarget(
            name: "acd-sim",
            dependencies: [
                "ACDSimulation", "RoutingRules", "RoutingCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "simulators/Sources/acd-sim"
        ),
        .testTarget(
            name: "ACDSimulationTests",
            dependencies: ["ACDSimulation", "RoutingRules", "RoutingCore", "ACDClient", "acd-sim", "acdd"],
            path: "simulators/Tests/ACDSimulationTests"
        ),
        .testTarget(name: "RoutingCoreTests", dependencies: ["RoutingCore", "RoutingRules"]),
        .testTarget(name: "RoutingRulesTests", dependencies: ["RoutingRules", "RoutingCore"]),
        .testTarget(
            name: "acddTests",
            dependencies: [
                "acdd", "ACDDaemon", "ZeroMQ", "ACDProtocol", "ACDClient", "CRMStore", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(
            name: "CRMStoreTests",
            dependencies: [
                "CRMStore", "ACDProtocol", "RoutingCore", "ZeroMQ", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "ACDProtocolTests", dependencies: ["ACDProtocol", "RoutingCore", "ACDClient"]),
    ],
    swiftLanguageModes: [.v6]
)
