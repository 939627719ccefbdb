// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // Release builds skip the run-time exclusivity checks (debug builds and the tests keep
    // them): every access to a class's stored property or a global paid one, about 1.3 % of
    // the instructions of `phxtap read` on the benchmark capture.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "PhoenixTap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "phxtap", targets: ["phxtap"]),
        .executable(name: "phxtap-bench", targets: ["phxtap-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // System libraries: libpcap for offline captures, zlib for permessage-deflate.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Pure core: bytes and times in, values out. No sockets, files or clocks.
        .target(name: "PhoenixProtocol", swiftSettings: strictSwift),
        .target(name: "WebSocketWire", dependencies: ["PhoenixProtocol", "CZlib"], swiftSettings: strictSwift),
        .target(name: "PhoenixChecker", dependencies: ["PhoenixProtocol"], swiftSettings: strictSwift),
        .target(name: "Transcript", dependencies: ["PhoenixProtocol", "WebSocketWire", "PhoenixChecker"], swiftSettings: strictSwift),
        .target(
            name: "TapPipeline", dependencies: ["PhoenixProtocol", "WebSocketWire", "PhoenixChecker", "Transcript"],
            swiftSettings: strictSwift),

        // Offline byte source: link layers, IP and TCP reassembly (pure), and a thin libpcap shell.
        .target(name: "PcapSource", dependencies: ["CPcap", "TapPipeline", "PhoenixProtocol"], swiftSettings: strictSwift),
        .executableTarget(
            name: "pcap-bench", dependencies: ["PcapSource"], path: "bench/pcap-bench",
            exclude: ["make_big_capture.py"], swiftSettings: strictSwift),

        // The live byte source: a SwiftNIO relay that tees what it forwards into the pipeline.
        .target(
            name: "ProxyServer",
            dependencies: [
                "TapPipeline", "PhoenixProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),

        // The command line.
        .executableTarget(
            name: "phxtap",
            dependencies: [
                "PhoenixProtocol", "PhoenixChecker", "Transcript", "TapPipeline", "PcapSource", "ProxyServer", "CPcap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),

        // Benchmarks (bench/*.sh build this in release mode).
        .executableTarget(
            name: "phxtap-bench",
            dependencies: ["PhoenixProtocol", "PhoenixChecker", "Transcript", "CPcap"],
            path: "bench/PhxtapBench",
            swiftSettings: strictSwift
        ),
        // `bench/checker-throughput`: the checker's messages per second on a realistic mix.
        .executableTarget(
            name: "checker-bench", dependencies: ["PhoenixProtocol", "PhoenixChecker"], path: "bench/checker-bench",
            swiftSettings: strictSwift),

        // Helpers shared by the test targets (not a product).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSwift),
        .testTarget(name: "PhoenixProtocolTests", dependencies: ["PhoenixProtocol", "TestSupport"], swiftSettings: strictSwift),
        .testTarget(
            name: "PhoenixCheckerTests",
            dependencies: ["PhoenixChecker", "PhoenixProtocol", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "WebSocketWireTests",
            dependencies: ["WebSocketWire", "PhoenixProtocol", "CZlib", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "PcapSourceTests",
            dependencies: ["PcapSource", "TapPipeline", "PhoenixProtocol", "TestSupport"],
            exclude: ["Fixtures", "make_fixtures.py", "record_exchange.py"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "TapPipelineTests",
            dependencies: ["TapPipeline", "PcapSource", "WebSocketWire", "PhoenixChecker", "Transcript", "PhoenixProtocol"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "ProxyServerTests",
            dependencies: [
                "ProxyServer", "TapPipeline", "PhoenixProtocol", "PcapSource", "Transcript",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Peers"],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "TranscriptTests", dependencies: ["Transcript", "PhoenixProtocol"], swiftSettings: strictSwift),
        .testTarget(
            name: "PhxtapCLITests",
            dependencies: ["PhoenixProtocol", "PhoenixChecker", "Transcript"],
            exclude: ["Golden", "mitmproxy_har.py"],
            swiftSettings: strictSwift
        ),
    ]
)
