// swift-tools-version: 6.1
// StyleGANKit: StyleGAN2 inversion and editing in Swift on libtorch.
//
// libtorch comes from the pinned PyPI `torch` wheel that `make setup` installs into `.deps/python`.
// `make setup` also writes `.deps/torch-build.json` (torch version, C++11 ABI flag); this manifest
// reads it to point the shim at the headers and to link against the libraries where they sit (rpath).
import Foundation
import PackageDescription

struct TorchBuild: Decodable {
    let version: String
    let cxx11_abi: Int
    let torch_root: String
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let depsDir = packageRoot + "/.deps"
guard let configData = FileManager.default.contents(atPath: depsDir + "/torch-build.json"),
      let torch = try? JSONDecoder().decode(TorchBuild.self, from: configData)
else {
    fatalError("StyleGANKit: .deps/torch-build.json is missing or unreadable; run `make setup` first.")
}
let torchRoot = depsDir + "/" + torch.torch_root
let torchLib = torchRoot + "/lib"

/// Hummingbird, with swift-metrics' `Metrics` module renamed so that it does not meet ours.
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird",
                                              moduleAliases: ["Metrics": "SwiftMetrics"])

let package = Package(
    name: "StyleGANKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "StyleGAN", targets: ["StyleGAN"]),
        .library(name: "Perception", targets: ["Perception"]),
        .library(name: "Inversion", targets: ["Inversion"]),
        .library(name: "Encoders", targets: ["Encoders"]),
        .library(name: "Metrics", targets: ["Metrics"]),
        .library(name: "Images", targets: ["Images"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Data", targets: ["Data"]),
        .library(name: "Testbed", targets: ["Testbed"]),
        .executable(name: "stylegan", targets: ["stylegan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // C++20 shim over libtorch with a plain C header; no C++ exception crosses it.
        .target(
            name: "CTorch",
            exclude: ["parts"],
            cxxSettings: [
                .define("_GLIBCXX_USE_CXX11_ABI", to: String(torch.cxx11_abi)),
                .define("CTORCH_BUILT_FOR_TORCH", to: "\"\(torch.version)\""),
                .define("CTORCH_TORCH_LIB_DIR", to: "\"\(torchLib)\""),
                .unsafeFlags([
                    "-isystem", torchRoot + "/include",
                    "-isystem", torchRoot + "/include/torch/csrc/api/include",
                    "-Wno-deprecated-declarations",
                ]),
            ],
            linkerSettings: [
                .unsafeFlags(["-L" + torchLib, "-Xlinker", "-rpath", "-Xlinker", torchLib]),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
                .linkedLibrary("dl"),
            ]
        ),
        .target(name: "Torch", dependencies: ["CTorch"]),
        // zlib, found with pkg-config, inflates compressed .npz members.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // OpenSSL's libcrypto (Debian libssl-dev) for SHA-256 of checkpoint files: vetted and hardware-accelerated,
        // and nothing to compile.
        .systemLibrary(
            name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Byte-level parsing and hashing (unpickler, zip, SHA-256 of multi-gigabyte checkpoints) is optimised even
        // in debug builds, where unoptimised Swift is orders of magnitude slower on such loops.
        .target(
            name: "Checkpoints", dependencies: ["Torch", "CZlib", "CLibCrypto"],
            swiftSettings: [.unsafeFlags(["-O"])]),
        .target(name: "StyleGAN", dependencies: ["Torch", "Checkpoints"]),
        // Shipped weights (LPIPS linear layers, MTCNN) travel as a resource bundle.
        // dlib (Debian libdlib-dev): face detectors and shape predictors behind a C header. dlib's detectors are header
        // templates instantiated here, so they are optimised in every build. They call the reference BLAS and LAPACK,
        // which export the same Fortran symbols (dgemm_, dgesdd_, ...) as libtorch's own MKL: libtorch is named first
        // so that it comes first in the load order and its linear algebra stays its own.
        .target(
            name: "CDlib",
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [
                .unsafeFlags(["-L" + torchLib]), .linkedLibrary("torch_cpu"),
                .linkedLibrary("dlib"), .linkedLibrary("lapack"), .linkedLibrary("blas"),
            ]
        ),
        .target(name: "Perception", dependencies: ["Torch", "Checkpoints", "Images", "CDlib"], resources: [.copy("Weights")]),
        .target(name: "Inversion", dependencies: ["Torch", "Checkpoints", "Images", "StyleGAN", "Perception", "Encoders", "Metrics"]),
        .target(name: "Encoders", dependencies: ["Torch", "Checkpoints", "StyleGAN", "Perception"]),
        .target(name: "Metrics", dependencies: ["Torch", "Checkpoints", "Images", "StyleGAN", "Perception", "Testbed"]),
        // liblinear's linear SVM for InterFaceGAN boundaries; it has no pkg-config file, the module map links it.
        .systemLibrary(name: "CLibLinear", path: "Sources/CLibLinear", providers: [.apt(["liblinear-dev"])]),
        .target(
            name: "Evaluation",
            dependencies: ["Torch", "Checkpoints", "Images", "StyleGAN", "Perception", "Inversion", "Encoders", "Editing",
                           "Metrics", "Testbed"]
        ),
        .target(name: "Editing", dependencies: ["Torch", "Checkpoints", "StyleGAN", "CLibLinear"]),
        // rosinality train.py semantics: losses, R1, path length, style mixing.
        .target(name: "GeneratorTraining", dependencies: ["Torch", "Checkpoints", "StyleGAN", "Perception", "Metrics", "Data", "Training"]),
        // libpng and libjpeg, found with pkg-config; only CImageCodecs calls them.
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CLibJPEG", path: "Sources/CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]
        ),
        // Plain C over libpng/libjpeg, so their setjmp/longjmp error handling never crosses Swift frames.
        .target(name: "CImageCodecs", dependencies: ["CLibPNG", "CLibJPEG"]),
        .target(name: "Images", dependencies: ["CImageCodecs", "Torch"]),
        // The training engine: the loop, checkpoints and resumption, run folder, TensorBoard events, progress.
        .target(name: "Training", dependencies: ["Torch", "Images", "CLibYAML"]),
        // libyaml (Debian libyaml-dev) reads YAML configurations, such as the Feature-Style trainer's.
        .systemLibrary(name: "CLibYAML", path: "Sources/CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // LMDB (Debian liblmdb-dev) for rosinality's datasets, behind a plain C guard so it never aborts the process.
        .target(name: "CLMDB", linkerSettings: [.linkedLibrary("lmdb")]),
        // Training data: image folders, StyleGAN2-ADA zips, rosinality LMDBs; transforms; the seeded loader.
        .target(name: "Data", dependencies: ["Torch", "Images", "Checkpoints", "CLMDB"]),
        // The testbed: procedural faces with ground truth (masks, attributes, identities) and their dataset writers.
        .target(name: "Testbed", dependencies: ["Torch", "Images", "Data", "Checkpoints"]),
        .target(name: "PerceptionTraining", dependencies: ["Torch", "Checkpoints", "Training", "Perception", "Testbed"]),
        .target(
            name: "EncoderTraining",
            dependencies: ["Torch", "Checkpoints", "Data", "Training", "StyleGAN", "Perception", "Encoders", "Inversion"]
        ),
        // The web editor: Hummingbird routes, sessions, limits and the page. swift-metrics' module is also called
        // Metrics, so Hummingbird's graph sees it under another name.
        .target(
            name: "WebEditor",
            dependencies: ["Torch", "Checkpoints", "Images", "StyleGAN", "Perception", "Inversion", "Editing", "Testbed", hummingbird],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "stylegan",
            dependencies: [
                "Torch", "Checkpoints", "StyleGAN", "Images", "Perception", "Metrics", "Inversion", "Editing", "Encoders",
                "Training", "GeneratorTraining", "Testbed", "PerceptionTraining", "EncoderTraining", "Evaluation", "WebEditor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "stylegan-bench",
            dependencies: ["Torch", "Images", "Checkpoints", "StyleGAN", "Perception", "Inversion", "Encoders", "Training", "GeneratorTraining", "WebEditor",
                           "EncoderTraining"],
            path: "Sources/stylegan-bench"
        ),
        .testTarget(name: "TorchTests", dependencies: ["Torch"]),
        .testTarget(name: "WebEditorTests", dependencies: ["WebEditor", "Images", "Inversion", "TestSupport", "stylegan"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "Torch"]),
        .testTarget(name: "TestbedTests", dependencies: ["Testbed", "Data", "Images", "Torch", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Images", "Checkpoints", "Torch"], exclude: ["Resources"]),
        // Fixture lookup, tolerance checks and the fixtures' procedural weights, shared by the test targets.
        .target(name: "TestSupport", dependencies: ["Torch", "Checkpoints"], path: "Tests/TestSupport"),
        .testTarget(
            name: "StyleGANTests", dependencies: ["StyleGAN", "Checkpoints", "Torch", "TestSupport"], exclude: ["Resources"]
        ),
        .testTarget(
            name: "GeneratorTrainingTests",
            dependencies: ["GeneratorTraining", "Training", "StyleGAN", "Checkpoints", "Images", "Metrics", "Torch", "TestSupport"]
        ),
        .testTarget(
            name: "CLITests", dependencies: ["stylegan", "StyleGAN", "Editing", "Checkpoints", "Torch", "TestSupport", "Images", "Perception", "Encoders"]
        ),
        .testTarget(
            name: "EncodersTests", dependencies: ["Encoders", "StyleGAN", "Perception", "Checkpoints", "Torch", "TestSupport"],
            exclude: ["Resources"]
        ),
        .testTarget(
            name: "InversionTests", dependencies: ["Inversion", "Encoders", "StyleGAN", "Perception", "Checkpoints", "Images", "Torch", "TestSupport"]
        ),
        .testTarget(
            name: "PerceptionTests", dependencies: ["stylegan", "Perception", "Checkpoints", "Torch", "Images", "TestSupport"],
            exclude: ["Resources"]
        ),
        .testTarget(name: "EditingTests", dependencies: ["Editing", "StyleGAN", "Checkpoints", "Torch", "TestSupport"], exclude: ["Resources"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Perception", "Torch", "TestSupport"]),
        .testTarget(
            name: "TrainingTests", dependencies: ["Training", "Torch", "Checkpoints", "Images", "TestSupport"],
            exclude: ["Resources"]
        ),
        .testTarget(name: "PerceptionTrainingTests", dependencies: ["PerceptionTraining"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Torch"]),
        .testTarget(
            name: "EncoderTrainingTests",
            dependencies: ["EncoderTraining", "Encoders", "StyleGAN", "Checkpoints", "Images", "Training", "Torch", "TestSupport"],
            exclude: ["Resources"]
        ),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Torch", "TestSupport"], exclude: ["Resources"]),
    ],
    cxxLanguageStandard: .cxx20
)
