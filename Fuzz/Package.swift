// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for ShareCore's fronts (issue #10). A package of its own so the main
// package's build and tests are untouched; built with the fuzzer sanitizer by `make fuzz`:
//
//     swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
//
// Each executable is one libFuzzer target: its entry point hands its test function to
// libFuzzer's driver (`LLVMFuzzerRunDriver`), so it takes libFuzzer's flags. The targets reach the fronts' internals with `@testable import`, so they are built
// in debug (where every module is compiled for testing).

let targets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzFileREST", ["FuzzSupport", .product(name: "FileREST", package: "sharecore")]),
    ("FuzzS3", ["FuzzSupport", .product(name: "S3", package: "sharecore")]),
    ("FuzzBackup", ["FuzzSupport", .product(name: "Backup", package: "sharecore")]),
    ("FuzzIIS", ["FuzzSupport", .product(name: "IISFiles", package: "sharecore")]),
    ("FuzzSigV4", ["FuzzSupport", .product(name: "S3", package: "sharecore")]),
    ("FuzzAzureAuth", ["FuzzSupport", .product(name: "FileREST", package: "sharecore")]),
    ("FuzzXML", ["FuzzSupport"]),
    ("FuzzJSON", ["FuzzSupport", .product(name: "Backup", package: "sharecore"),
                  .product(name: "IISFiles", package: "sharecore")]),
    ("FuzzAWSChunked", ["FuzzSupport", .product(name: "S3", package: "sharecore")]),
    ("FuzzRange", ["FuzzSupport", .product(name: "S3", package: "sharecore"),
                   .product(name: "FileREST", package: "sharecore"),
                   .product(name: "IISFiles", package: "sharecore")]),
]

let package = Package(
    name: "ShareCoreFuzz",
    platforms: [.macOS(.v15)],
    products: targets.map { .executable(name: $0.name, targets: [$0.name]) },
    dependencies: [
        .package(name: "sharecore", path: ".."),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(name: "CFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: [
                "CFuzzer",
                .product(name: "ShareCore", package: "sharecore"),
                .product(name: "FrontKit", package: "sharecore"),
                .product(name: "FileREST", package: "sharecore"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ] + targets.map { .executableTarget(name: $0.name, dependencies: $0.dependencies) },
    swiftLanguageModes: [.v5]
)
