// swift-tools-version: 6.2
import PackageDescription

/// Settings every Gloss target shares: Swift 6 language mode is the tools
/// default; these add the upcoming-feature checks the project holds itself to.
let sharedSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

var package = Package(
    name: "Gloss",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GlossCore", targets: ["GlossCore"]),
        .library(name: "GlossCoreTesting", targets: ["GlossCoreTesting"]),
        .library(name: "GlossProtocol", targets: ["GlossProtocol"]),
        .library(name: "GlossStore", targets: ["GlossStore"]),
        .library(name: "GlossReplication", targets: ["GlossReplication"]),
        .library(name: "GlossExport", targets: ["GlossExport"]),
        .library(name: "GlossExportJob", targets: ["GlossExportJob"]),
        .library(name: "GlossExportFiles", targets: ["GlossExportFiles"]),
        .library(name: "GlossImport", targets: ["GlossImport"]),
        .library(name: "GlossEmbeddedPostgres", targets: ["GlossEmbeddedPostgres"]),
        .library(name: "GlossServer", targets: ["GlossServer"]),
        .library(name: "GlossClient", targets: ["GlossClient"]),
        .executable(name: "glossd", targets: ["glossd"]),
        .executable(name: "gloss", targets: ["gloss"]),
        .executable(name: "gloss-merge-demo", targets: ["gloss-merge-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .target(
            name: "GlossCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossCoreTesting",
            dependencies: ["GlossCore"],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossProtocol",
            dependencies: ["GlossCore"],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossReplication",
            dependencies: ["GlossCore", "GlossProtocol"],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossExport",
            dependencies: ["GlossCore"],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossExportJob",
            dependencies: ["GlossCore", "GlossExport", "GlossStore"],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossExportFiles",
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossExportOptions",
            dependencies: ["GlossCore", "GlossExport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossImport",
            dependencies: ["GlossCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossStore",
            dependencies: [
                "GlossCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossEmbeddedPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossServer",
            dependencies: [
                "GlossReplication",
                "GlossExport",
                "GlossExportJob",
                "GlossImport",
                "GlossCore",
                "GlossProtocol",
                "GlossStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossClient",
            dependencies: [
                "GlossCore",
                "GlossProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Clients/GlossClient",
            swiftSettings: sharedSettings
        ),
        .executableTarget(
            name: "gloss",
            dependencies: [
                "GlossCore",
                "GlossProtocol",
                "GlossClient",
                "GlossExport",
                "GlossExportFiles",
                "GlossExportOptions",
                "GlossImport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Clients/gloss",
            swiftSettings: sharedSettings
        ),
        .executableTarget(
            name: "glossd",
            dependencies: [
                "GlossCore",
                "GlossStore",
                "GlossServer",
                "GlossExport",
                "GlossExportJob",
                "GlossExportFiles",
                "GlossExportOptions",
                "GlossEmbeddedPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: sharedSettings
        ),
        .executableTarget(
            name: "gloss-merge-demo",
            dependencies: ["GlossCore", "GlossStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossCoreTests",
            dependencies: [
                "GlossCore",
                "GlossCoreTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossReplicationTests",
            dependencies: ["GlossReplication", "GlossProtocol", "GlossCore", "GlossCoreTesting"],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossImportTests",
            dependencies: ["GlossImport", "GlossCore"],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossExportTests",
            dependencies: ["GlossExport", "GlossCore", "GlossTestSupport"],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossProtocolTests",
            dependencies: ["GlossProtocol", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: sharedSettings
        ),
        .target(
            name: "GlossTestSupport",
            dependencies: [
                "GlossCore",
                "GlossCoreTesting",
                "GlossStore",
                "GlossServer",
                "GlossClient",
                "GlossEmbeddedPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/GlossTestSupport",
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossServerTests",
            dependencies: [
                "GlossCore",
                "GlossProtocol",
                "GlossStore",
                "GlossServer",
                "GlossClient",
                "GlossTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossClientTests",
            dependencies: ["GlossClient", "GlossProtocol", "GlossCore", "GlossCoreTesting"],
            swiftSettings: sharedSettings
        ),
        .testTarget(
            name: "GlossStoreTests",
            dependencies: [
                "GlossCore",
                "GlossCoreTesting",
                "GlossStore",
                "GlossEmbeddedPostgres",
                "GlossTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: sharedSettings
        ),
    ]
)

// Benchmarks build only when asked for (GLOSS_BENCHMARKS=1, as scripts/bench-core does),
// so the everyday build and CI stay fast.
if Context.environment["GLOSS_BENCHMARKS"] == "1" {
    package.products.append(.executable(name: "gloss-core-bench", targets: ["gloss-core-bench"]))
    package.products.append(.executable(name: "gloss-store-bench", targets: ["gloss-store-bench"]))
    package.targets.append(.target(name: "HeapUsage", path: "Benchmarks/HeapUsage"))
    package.targets.append(
        .target(
            name: "BenchmarkSupport", dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")], path: "Benchmarks/BenchmarkSupport",
            swiftSettings: sharedSettings
        )
    )
    package.targets.append(
        .executableTarget(
            name: "gloss-core-bench",
            dependencies: ["GlossCore", "GlossCoreTesting", "HeapUsage"],
            path: "Benchmarks/CoreBenchmark",
            swiftSettings: sharedSettings
        )
    )
    package.dependencies.append(.package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"))
    package.products.append(.executable(name: "gloss-server-bench", targets: ["gloss-server-bench"]))
    package.targets.append(
        .executableTarget(
            name: "gloss-server-bench",
            dependencies: [
                "GlossCore", "GlossProtocol", "GlossClient", "BenchmarkSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/ServerBenchmark",
            swiftSettings: sharedSettings
        )
    )
    package.products.append(.executable(name: "gloss-reliability-bench", targets: ["gloss-reliability-bench"]))
    package.targets.append(
        .executableTarget(
            name: "gloss-reliability-bench",
            dependencies: [
                "GlossCore", "GlossProtocol", "GlossClient", "GlossTestSupport", "BenchmarkSupport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Benchmarks/ReliabilityBenchmark",
            swiftSettings: sharedSettings
        )
    )
    package.products.append(.executable(name: "gloss-replication-bench", targets: ["gloss-replication-bench"]))
    package.targets.append(
        .executableTarget(
            name: "gloss-replication-bench",
            dependencies: [
                "GlossCore", "GlossStore", "GlossProtocol", "GlossClient", "BenchmarkSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ReplicationBenchmark",
            swiftSettings: sharedSettings
        )
    )
    package.targets.append(
        .executableTarget(
            name: "gloss-store-bench",
            dependencies: [
                "GlossCore", "GlossStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StoreBenchmark",
            swiftSettings: sharedSettings
        )
    )
    package.products.append(.executable(name: "gloss-export-bench", targets: ["gloss-export-bench"]))
    package.targets.append(
        .executableTarget(
            name: "gloss-export-bench",
            dependencies: ["GlossCore", "GlossStore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/ExportBenchmark",
            swiftSettings: sharedSettings
        )
    )
}
