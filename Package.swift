// swift-tools-version: 6.1
import PackageDescription

/// tally: exactly-once record processing on RabbitMQ and Redis.
///
/// One module per concern; every arrow points down (docs/architecture.md
/// draws the graph):
/// - `TallyCore`: the pure core — records, validation, exact decimals,
///   summaries, outputs, and the batch protocol as a state machine. No IO.
/// - `CRabbitMQ`, `CHiredis`: the system C libraries, each behind a shim;
///   `TallyAMQPClient`, `TallyRedisClient`: thin clients confining them.
/// - `TallyRuntime`: what every process shares — configuration loading and
///   provenance, logging, lifecycle (one blocking-loop service, one stop
///   signal), the observability routes, a blocking HTTP client.
/// - `TallyStore`: the whole Redis contract — key layout, the Function
///   (`Resources/tally_v3.lua`), and the decoders of what it writes.
/// - `TallyBroker`: the broker side — topology, confirmed publishing,
///   dead letters.
/// - `TallyWorker`: the batch pipeline (performs `BatchProtocol`'s actions).
/// - `TallyAdapters` (pure mappings of foreign inputs) and
///   `TallyAdapterServices` (their long-running IO: file imports, the
///   vendor poller, report dispatch).
/// - `TallyAggregator` (index, ingest, query API) and
///   `TallyAggregatorClient` (its HTTP client). The aggregator speaks no AMQP.
/// - Executables only parse options and wire the modules above.
let package = Package(
    name: "tally",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tally-worker", targets: ["TallyWorkerCommand"]),
        .executable(name: "tally", targets: ["TallyCLI"]),
        .executable(name: "tally-aggregator", targets: ["TallyAggregatorCommand"]),
        .executable(name: "tally-vendor-simulator", targets: ["TallyVendorSimulator"]),
        .executable(name: "tally-loadtest", targets: ["TallyLoadTestCommand"]),
        // For the micro-benchmarks in Benchmarks/ (a package of its own).
        .library(name: "TallyCore", targets: ["TallyCore"]),
        .library(name: "TallyStore", targets: ["TallyStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // JSONLogHandler uses LogEvent, which arrived in swift-log 1.11.
        .package(url: "https://github.com/apple/swift-log", from: "1.11.0"),
        // CommandLineArguments: flags such as --batch-max-size override any key.
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0", traits: [.defaults, "CommandLineArguments"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        // SHA-256 of imported files; already in the graph through Hummingbird.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // HTTP client of the vendor poller, the report dispatcher and the load
        // test; already in the graph through Hummingbird's dependencies' peers.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The report mailer's SMTP client (sockets, STARTTLS); both already in
        // the graph through Hummingbird and AsyncHTTPClient.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        // MARK: The pure core
        .target(name: "TallyCore"),

        // MARK: The C clients
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "TallyAMQPClient", dependencies: ["CRabbitMQ", .product(name: "Logging", package: "swift-log")]),
        .target(name: "TallyRedisClient", dependencies: ["CHiredis", .product(name: "Logging", package: "swift-log")]),

        // MARK: What every process shares
        .target(
            name: "TallyRuntime",
            dependencies: [
                "TallyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: The two contracts with the servers
        .target(
            name: "TallyStore",
            dependencies: ["TallyCore", "TallyRedisClient", "TallyRuntime", .product(name: "Configuration", package: "swift-configuration")],
            resources: [.copy("Resources/tally_v3.lua"), .copy("Resources/tally_v4.lua")]
        ),
        .target(
            name: "TallyBroker",
            dependencies: ["TallyCore", "TallyAMQPClient", "TallyRuntime", .product(name: "Configuration", package: "swift-configuration")]
        ),

        // MARK: The worker
        .target(
            name: "TallyWorker",
            dependencies: [
                "TallyCore", "TallyAMQPClient", "TallyRedisClient", "TallyRuntime", "TallyStore", "TallyBroker",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // Pause points for the fault tests (FaultHooks); never in release builds.
            swiftSettings: [.define("TALLY_FAULT_HOOKS", .when(configuration: .debug))]
        ),

        // MARK: Source adapters
        // The pure mapping of foreign inputs onto standard records. No IO.
        .target(name: "TallyAdapters", dependencies: ["TallyCore"]),
        // Their long-running IO: file imports, the vendor poller, report
        // dispatch and the report mailer (SMTP on SwiftNIO).
        .target(
            name: "TallyAdapterServices",
            dependencies: [
                "TallyAdapters", "TallyCore", "TallyAMQPClient", "TallyRedisClient", "TallyRuntime", "TallyStore",
                "TallyBroker", "TallyAggregatorClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // MARK: The aggregator
        .target(
            name: "TallyAggregator",
            dependencies: [
                "TallyCore", "TallyAdapters", "TallyRedisClient", "TallyRuntime", "TallyStore",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/aggregator.yaml")]
        ),
        .target(name: "TallyAggregatorClient", dependencies: ["TallyAdapters", "TallyCore", "TallyRuntime"]),

        // MARK: Executables: options and wiring only
        .executableTarget(
            name: "TallyWorkerCommand",
            dependencies: [
                "TallyCore", "TallyWorker", "TallyRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "TallyAggregatorCommand",
            dependencies: [
                "TallyCore", "TallyAggregator", "TallyRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "TallyCLI",
            dependencies: [
                "TallyCore", "TallyAMQPClient", "TallyRedisClient", "TallyRuntime", "TallyStore", "TallyBroker",
                "TallyWorker", "TallyAdapters", "TallyAdapterServices", "TallyAggregatorClient",
                "TallyAggregator",  // `tally config print --aggregator`
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A stand-in for the rate-limited vendor API, for tests and demos.
        .executableTarget(
            name: "TallyVendorSimulator",
            dependencies: [
                "TallyAdapters", "TallyCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The load generator, in loadtest/: a pure library (plan, oracle,
        // verification, summaries, reports) and the executable that wires it
        // to the broker, Redis, the aggregator and /proc.
        .target(
            name: "TallyLoadTest",
            dependencies: ["TallyCore", .product(name: "Histogram", package: "hdrhistogram-swift")],
            path: "loadtest/Sources/TallyLoadTest"
        ),
        .executableTarget(
            name: "TallyLoadTestCommand",
            dependencies: [
                "TallyLoadTest", "TallyCore", "TallyAMQPClient", "TallyRedisClient", "TallyRuntime", "TallyStore",
                "TallyBroker", "TallyWorker", "TallyAggregatorClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "loadtest/Sources/TallyLoadTestCommand"
        ),

        // MARK: Tests
        // Unit tests: no servers.
        .testTarget(name: "TallyCoreTests", dependencies: ["TallyCore"]),
        .testTarget(name: "TallyStoreTests", dependencies: ["TallyStore", "TallyCore", "TallyRedisClient"]),
        .testTarget(name: "TallyAdaptersTests", dependencies: ["TallyAdapters", "TallyCore"]),
        .testTarget(
            name: "TallyAggregatorTests",
            dependencies: [
                "TallyAggregator", "TallyCore", "TallyAdapters", "TallyStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "TallyLoadTestTests",
            dependencies: ["TallyLoadTest", "TallyCore"],
            path: "loadtest/Tests/TallyLoadTestTests"
        ),
        // Integration tests: real RabbitMQ, Redis and processes.
        .testTarget(
            name: "TallyIntegrationTests",
            dependencies: [
                "TallyCore", "TallyAMQPClient", "TallyRedisClient", "TallyRuntime", "TallyStore", "TallyBroker",
                "TallyWorker", "TallyAdapters", "TallyAdapterServices", "TallyAggregator", "TallyAggregatorClient",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
