// swift-tools-version:6.0
// TripletKit: command-line tools for deep metric learning with the triplet loss on
// MNIST-style images. The package depends on no Swift package outside the toolchain;
// C libraries come from Debian through the system-library targets below.
import PackageDescription

let package = Package(
    name: "TripletKit",
    products: [
        .library(name: "TripletKit", targets: ["TripletKit"]),
        .executable(name: "mnist-prep", targets: ["mnist-prep"]),
        .executable(name: "triplet-sample", targets: ["triplet-sample"]),
        .executable(name: "triplet-train", targets: ["triplet-train"]),
        .executable(name: "triplet-plot", targets: ["triplet-plot"]),
        .executable(name: "triplet-bench", targets: ["triplet-bench"]),
    ],
    targets: [
        // OpenBLAS's cblas interface, used for every GEMM.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // libpng's simplified API, which needs no setjmp.
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        // zlib, for gzip-compressed IDX files and CRC-32 section checksums.
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // libzip, for zip archives of images.
        .systemLibrary(
            name: "CZip", path: "Sources/CZip", pkgConfig: "libzip",
            providers: [.apt(["libzip-dev"])]),
        // OpenCV's image decoding behind a plain C API. Debian's split OpenCV packages ship
        // no opencv4.pc, so the header folder is named here.
        .target(
            name: "COpenCVShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("opencv_imgcodecs"), .linkedLibrary("opencv_imgproc"),
                .linkedLibrary("opencv_core"),
            ]),

        // TripletKit's own AVX-512 matrix product, which reads a convolution's column matrix
        // through offset tables. It checks the CPU at run time, so the package builds for
        // any x86-64 CPU. Debug builds optimise it too.
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3"])]),

        .target(
            name: "TripletKit", dependencies: ["CBLAS", "CKernels", "CPNG", "CZlib"],
            // The layers' loops are 20-50 times slower unoptimised, which would make the
            // tests' training runs take minutes; debug builds optimise this target too.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        // Image folders, zip archives and CSV files for mnist-prep, kept apart from
        // TripletKit so that only mnist-prep pays OpenCV's start-up cost.
        .target(
            name: "TripletKitIngest", dependencies: ["TripletKit", "CZip", "CZlib", "COpenCVShim"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),

        .executableTarget(name: "mnist-prep", dependencies: ["TripletKit", "TripletKitIngest"]),
        .executableTarget(name: "triplet-sample", dependencies: ["TripletKit"]),
        .executableTarget(name: "triplet-train", dependencies: ["TripletKit"]),
        .executableTarget(name: "triplet-plot", dependencies: ["TripletKit"]),
        .executableTarget(name: "triplet-bench", dependencies: ["TripletKit"]),

        .testTarget(
            name: "TripletKitTests",
            dependencies: ["TripletKit", "TripletKitIngest"],
            resources: [.copy("Golden")]),
    ],
    // Swift 5 mode: the kernels share raw buffers across DispatchQueue.concurrentPerform
    // iterations, each writing its own disjoint range, which Swift 6's strict Sendable
    // checking rejects.
    swiftLanguageModes: [.v5]
)
