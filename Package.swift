// swift-tools-version:6.0
import PackageDescription

/// An async function that belongs to no actor runs on its caller's executor (SE-0461), not on
/// the global one: the console's calls into the connection stay on the console's thread (the
/// network thread, for a script) instead of hopping off it and back at every write.
let callersExecutor = SwiftSetting.enableUpcomingFeature("NonisolatedNonsendingByDefault")

let package = Package(
    name: "ehlo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ehlo", targets: ["ehlo"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
    ],
    targets: [
        // Decides everything: replies, tables, the session state machine, completion, rendering.
        // No sockets, no terminal, no clock, no NIO.
        .target(name: "SMTPCore"),

        // The connection to the server: TCP, the line codec with its limits, timeouts.
        .target(
            name: "SMTPClient",
            dependencies: [
                "SMTPCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: [callersExecutor]
        ),

        // libedit, and fixed-arity wrappers over its variadic el_set/history calls.
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        .target(name: "CEditLine", dependencies: ["CLibEdit"]),

        // A line editor with history and completion; knows nothing of SMTP.
        .target(name: "LineEditor", dependencies: ["CEditLine"]),

        // One DNS question through libresolv (res_nsend to the system's or a given server), and
        // its answer read with ns_parserr; Swift reaches neither `__res_state`'s server list nor the ns_* macros.
        .target(name: "CResolv", linkerSettings: [.linkedLibrary("resolv")]),

        // DNS for `--mx` and `/dns`: questions through CResolv, answers as SMTPCore's values.
        .target(name: "DNSResolver", dependencies: ["CResolv", "SMTPCore"]),

        // The REPL, `/` commands, the script runner and the screen.
        .target(
            name: "Console",
            dependencies: [
                "SMTPCore", "SMTPClient", "LineEditor", "DNSResolver",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [callersExecutor]
        ),

        // The practice server (`ehlo serve`, `ehlo --practice`): a pure session state machine and
        // a thin SwiftNIO shell around it, with STARTTLS (NIOSSL) and a generated certificate.
        .target(
            name: "SMTPServer",
            dependencies: [
                "SMTPCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),

        // The class view (`ehlo serve --dashboard`): a read-only web page and JSON API over the
        // practice server's sessions and messages, on NIOHTTP1 (server-sent events for live updates).
        .target(
            name: "ClassView",
            dependencies: [
                "SMTPCore",
                "SMTPServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // The config file's profiles: TOML (TOMLKit, over toml++) read into SMTPCore's `Profile`.
        .target(
            name: "ProfileConfig",
            dependencies: ["SMTPCore", .product(name: "TOMLKit", package: "TOMLKit")]
        ),

        .executableTarget(
            name: "ehlo",
            dependencies: [
                "ClassView",
                "Console",
                "LineEditor",
                "ProfileConfig",
                "SMTPClient",
                "SMTPCore",
                "SMTPServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tab completion's latency, timed in process (`make bench` runs it); not a test.
        .executableTarget(
            name: "completion-bench",
            dependencies: ["SMTPCore"],
            path: "Benchmarks/CompletionBenchmark"
        ),

        // libFuzzer targets (`make fuzz`, see Fuzz/README.md): each is built with `-sanitize=fuzzer`
        // into its own build path. In the normal build each is a small program that replays the
        // seed corpus through the same invariants (`make test` runs them); nothing links them.
        .target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "FuzzReplies", dependencies: ["FuzzSupport", "SMTPCore"], path: "Fuzz/FuzzReplies"),
        .executableTarget(name: "FuzzEHLO", dependencies: ["FuzzSupport", "SMTPCore"], path: "Fuzz/FuzzEHLO"),
        .executableTarget(
            name: "FuzzTranscript", dependencies: ["FuzzSupport", "SMTPCore"], path: "Fuzz/FuzzTranscript"),
        .executableTarget(
            name: "FuzzServerSession", dependencies: ["FuzzSupport", "SMTPCore", "SMTPServer"],
            path: "Fuzz/FuzzServerSession"),
        .executableTarget(
            name: "FuzzSASL", dependencies: ["FuzzSupport", "SMTPClient", "SMTPCore"], path: "Fuzz/FuzzSASL"),

        .testTarget(
            name: "SMTPCoreTests",
            dependencies: ["SMTPCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ProfileConfigTests",
            dependencies: ["ProfileConfig", "SMTPCore"]
        ),
        .testTarget(
            name: "SMTPClientTests",
            dependencies: [
                "SMTPClient",
                "SMTPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "DNSResolverTests",
            dependencies: ["DNSResolver", "SMTPCore"]
        ),
        .testTarget(
            name: "ClassViewTests",
            dependencies: [
                "ClassView", "SMTPServer", "SMTPCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SMTPServerTests",
            dependencies: [
                "SMTPServer",
                "SMTPCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ]
)
