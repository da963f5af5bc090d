// swift-tools-version: 6.2
import PackageDescription

// libFuzzer targets for Gloss's pure modules (see README.md; run them with scripts/fuzz).
//
// Coverage instrumentation and AddressSanitizer must reach GlossCore and GlossProtocol,
// not only the harnesses, so they are not set here (unsafe flags apply to this package's
// own targets only) but on the command line, for every Swift module built:
//
//     swift build --package-path Fuzz --scratch-path Fuzz/.build-fuzz -c release -Xswiftc -sanitize=fuzzer,address
//
// SwiftPM renames an executable's entry point to `<module>_main` and links `main` to it,
// so libFuzzer's own `main` is never used: each target's `@main` calls `LLVMFuzzerRunDriver`.

/// Settings the Gloss package holds its own targets to.
let sharedSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Links with the toolchain's lld: gold resolves `main` from libFuzzer's archive before
/// SwiftPM's `--defsym main=<module>_main` applies, and then fails on executables that
/// are not fuzz targets (an internal error in gold while reporting the missing callback).
let linkerSettings: [LinkerSetting] = [.unsafeFlags(["-use-ld=lld"])]

/// A fuzz target: one executable whose input is whatever libFuzzer generates.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: sharedSettings, linkerSettings: linkerSettings
    )
}

let package = Package(
    name: "GlossFuzz",
    platforms: [.macOS(.v15)],
    // Named, because a path dependency is otherwise known by its folder's name, which depends on the checkout.
    dependencies: [.package(name: "Gloss", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], swiftSettings: sharedSettings),
        fuzzTarget("fuzz-line", [.product(name: "GlossProtocol", package: "Gloss")]),
        fuzzTarget("fuzz-decode", [.product(name: "GlossCore", package: "Gloss")]),
        fuzzTarget("fuzz-text", [.product(name: "GlossCore", package: "Gloss")]),
        .executableTarget(
            name: "fuzz-seeds",
            dependencies: [.product(name: "GlossCore", package: "Gloss"), .product(name: "GlossCoreTesting", package: "Gloss")],
            swiftSettings: sharedSettings,
            linkerSettings: linkerSettings
        ),
    ]
)
