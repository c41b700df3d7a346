// swift-tools-version: 6.1
import PackageDescription

/// tally: exactly-once record processing on RabbitMQ and Redis.
///
/// Layout (see README "Architecture"):
/// - `TallyCore`: the pure core (records, validation, exact decimals, summaries,
///   notification building, batch bookkeeping). No IO, no C.
/// - `CRabbitMQ`, `CHiredis`: the system C libraries, each behind a shim.
/// - `TallyAMQP`, `TallyRedis`: thin clients confining the C APIs.
/// - `TallyWorker`: the batch pipeline wired from the pieces above.
/// - `tally-worker`, `tally`: executables that only parse options and wire.
let package = Package(
    name: "tally",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tally-worker", targets: ["TallyWorkerCommand"]),
        .executable(name: "tally", targets: ["TallyCLI"]),
        .executable(name: "tally-aggregator", targets: ["TallyAggregatorCommand"]),
        .executable(name: "tally-vendor-simulator", targets: ["TallyVendorSimulator"]),
        // For the micro-benchmarks in Benchmarks/ (a package of its own).
        .library(name: "TallyCore", targets: ["TallyCore"]),
        .executable(name: "tally-loadtest", targets: ["TallyLoadTestCommand"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // CommandLineArguments: flags such as --batch-max-size override any key.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0", traits: [.defaults, "CommandLineArguments"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // SHA-256 of imported files (tally import transactions); already in the graph through Hummingbird.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(name: "TallyCore"),
        .target(
            name: "TallyAMQP",
            dependencies: [
                "CRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TallyRedis",
            dependencies: [
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TallyWorker",
            dependencies: [
                "TallyCore", "TallyAMQP", "TallyRedis", "TallyAdapters",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The /health, /ready, /metrics listener (Observability/).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // Pause points for the fault tests (FaultHooks); never in release builds.
            swiftSettings: [.define("TALLY_FAULT_HOOKS", .when(configuration: .debug))]
        ),
        .executableTarget(
            name: "TallyWorkerCommand",
            dependencies: [
                "TallyWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "TallyCLI",
            dependencies: [
                "TallyWorker", "TallyCore", "TallyAMQP", "TallyRedis", "TallyAdapters",
                "TallyAggregator",  // `tally config print --aggregator`
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TallyAggregator",
            dependencies: [
                "TallyCore", "TallyRedis", "TallyWorker", "TallyAdapters",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources/aggregator.yaml")]
        ),
        .executableTarget(
            name: "TallyAggregatorCommand",
            dependencies: [
                "TallyAggregator", "TallyWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Source adapters (readings, transactions, vendor API): the pure
        // mapping of foreign inputs onto standard records. No IO.
        .target(name: "TallyAdapters", dependencies: ["TallyCore"]),
        // A stand-in for the rate-limited vendor API (seeds 003, 004), for
        // the integration tests and demos.
        .executableTarget(
            name: "TallyVendorSimulator",
            dependencies: [
                "TallyAdapters", "TallyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The load generator (issue 4), in loadtest/: a pure library (plan,
        // oracle, verification, summaries, reports) and the executable that
        // wires it to the broker, Redis, the aggregator and /proc.
        .target(
            name: "TallyLoadTest",
            dependencies: ["TallyCore", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "loadtest/Sources/TallyLoadTest"
        ),
        .executableTarget(
            name: "TallyLoadTestCommand",
            dependencies: [
                "TallyLoadTest", "TallyCore", "TallyWorker", "TallyAMQP", "TallyRedis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "loadtest/Sources/TallyLoadTestCommand"
        ),
        .testTarget(
            name: "TallyLoadTestTests",
            dependencies: ["TallyLoadTest", "TallyCore"],
            path: "loadtest/Tests/TallyLoadTestTests"
        ),
        .testTarget(name: "TallyCoreTests", dependencies: ["TallyCore"]),
        .testTarget(name: "TallyAdaptersTests", dependencies: ["TallyAdapters", "TallyCore"]),
        .testTarget(
            name: "TallyAggregatorTests",
            dependencies: [
                "TallyAggregator", "TallyCore", "TallyAdapters",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "TallyIntegrationTests",
            dependencies: ["TallyWorker", "TallyCore", "TallyAMQP", "TallyRedis", "TallyAggregator", "TallyAdapters"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
