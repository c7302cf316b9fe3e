// swift-tools-version:6.1
import PackageDescription

/// One set of language settings for every target.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "crm",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "crm", targets: ["crm"]),
        .executable(name: "crm-bench", targets: ["crm-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "PQ",
            dependencies: [
                "CLibPQ",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Who calls and what can go wrong: CRMError, Principal, Role. No dependencies.
        .target(
            name: "CRMModel",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CRMCore",
            dependencies: [
                "PQ",
                "CRMModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The protocol without a database: JSON, framing, JSON-RPC messages, the method registry,
        // OpenRPC, the call chain (access, rate limit, params, lanes, shares), connections and
        // limits, metrics. Its tests run in-process against stub methods.
        .target(
            name: "CRMProtocol",
            dependencies: [
                "CRMModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The CRM's methods over PostgreSQL, and the services they share.
        .target(
            name: "CRMServer",
            dependencies: [
                "PQ",
                "CRMCore",
                "CRMProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "crm",
            dependencies: [
                "PQ",
                "CRMCore",
                "CRMProtocol",
                "CRMServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The load generator of Scripts/bench.
        .executableTarget(
            name: "crm-bench",
            dependencies: [
                "CRMProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared by the test targets: throw-away databases on the cluster Scripts/test starts.
        .target(
            name: "CRMTestSupport",
            dependencies: ["PQ", "CRMCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PQTests",
            dependencies: ["PQ", "CRMCore", "CRMTestSupport"],
            swiftSettings: swiftSettings
        ),
        // A blocking line client for the tests (the stand-in for `nc`).
        .target(
            name: "ProtocolTestSupport",
            dependencies: ["CRMProtocol"],
            swiftSettings: swiftSettings
        ),
        // The protocol in-process, against stub methods: no PostgreSQL, seconds.
        .testTarget(
            name: "ProtocolTests",
            dependencies: [
                "CRMModel", "CRMProtocol", "ProtocolTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CRMServerTests",
            dependencies: [
                "PQ", "CRMCore", "CRMProtocol", "CRMServer", "CRMTestSupport", "ProtocolTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `crm` executable run as a user runs it (imports, exports), against the test cluster.
        .testTarget(
            name: "CLITests",
            dependencies: ["PQ", "CRMCore", "CRMTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
