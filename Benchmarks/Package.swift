// swift-tools-version:6.1
// The engine benchmarks of ShareCore (issue #5): each workload measured against ShareCore and
// against raw LMDB doing the same bytes, in the same run. A package of its own, so that the
// library never depends on the benchmark tooling. Run with `make bench` from the repository root.
import PackageDescription

let package = Package(
    name: "ShareCoreBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ShareCore", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // LMDB itself, through the same system library ShareCore links (the raw baseline).
        .systemLibrary(
            name: "CLMDBBench",
            path: "Sources/CLMDBBench",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"]), .brew(["lmdb"])]
        ),
        // The raw-LMDB wrapper and helpers shared by the benchmarks and the profiling tool.
        .target(
            name: "BenchSupport",
            dependencies: ["CLMDBBench"],
            path: "Sources/BenchSupport"
        ),
        .executableTarget(
            name: "ShareCoreBenchmarks",
            dependencies: [
                .product(name: "ShareCore", package: "ShareCore"),
                .product(name: "Benchmark", package: "benchmark"),
                "BenchSupport",
            ],
            path: "Benchmarks/ShareCoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One workload at a time, without the benchmark harness, for valgrind and perf:
        // see "Where the time goes" in docs/PERFORMANCE.md.
        .executableTarget(
            name: "sharecore-profile",
            dependencies: [
                .product(name: "ShareCore", package: "ShareCore"),
                "BenchSupport",
            ],
            path: "Sources/sharecore-profile",
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
