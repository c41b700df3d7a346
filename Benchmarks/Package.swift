// swift-tools-version: 6.1
import PackageDescription

import struct Foundation.URL

/// SwiftPM names a path dependency after its folder, which is whatever the
/// clone of tally is called (`tally`, `main`, a worktree…).
let tally = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// tally's micro-benchmarks (ordo-one's package-benchmark), a package of its
/// own so that `make test` never builds them. Run them with
/// `make bench-micro` (BENCHMARKS.md, "Micro-benchmarks").
///
/// They cover what the worker does once per record in Swift: parse and
/// validate a body, exact decimal addition, the canonical JSON and the
/// notification/alert text, the Redis keys, the fingerprint and the
/// Function's call arguments (TallyStore).
let package = Package(
    name: "tally-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // The MallocInterposer trait gives the malloc counts on Linux.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TallyCoreBenchmarks",
            dependencies: [
                .product(name: "TallyCore", package: tally),
                .product(name: "TallyStore", package: tally),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TallyCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
