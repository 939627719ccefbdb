// swift-tools-version:6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "PhoenixTap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "phxtap", targets: ["phxtap"]),
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
        .target(name: "PhoenixChecker", dependencies: ["PhoenixProtocol"], swiftSettings: strictSwift),
        .target(name: "Transcript", dependencies: ["PhoenixProtocol", "PhoenixChecker"], swiftSettings: strictSwift),
        .target(name: "TapPipeline", dependencies: ["PhoenixProtocol", "PhoenixChecker", "Transcript"], swiftSettings: strictSwift),

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
                "PhoenixProtocol", "PhoenixChecker", "Transcript",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),

        .testTarget(name: "PhoenixProtocolTests", dependencies: ["PhoenixProtocol"], swiftSettings: strictSwift),
        .testTarget(
            name: "ProxyServerTests",
            dependencies: [
                "ProxyServer", "TapPipeline", "PhoenixProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Peers"],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "TranscriptTests", dependencies: ["Transcript", "PhoenixProtocol"], swiftSettings: strictSwift),
        .testTarget(
            name: "PhxtapCLITests",
            dependencies: ["PhoenixProtocol", "Transcript"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSwift
        ),
    ]
)
