import ArgumentParser
import Foundation
import Testbed

/// `stylegan testbed ...`: the procedural face domain with ground truth.
struct TestbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testbed",
        abstract: "Render the testbed's synthetic faces (images, masks, labels) for training and evaluation.",
        subcommands: [TestbedRender.self, TestbedTrainPerception.self, TestbedEvaluatePerception.self, TestbedEvaluateGenerator.self]
    )
}

extension TestbedCommand {
    /// --size: one of the renderer's sizes.
    static func checkSize(_ size: Int) throws {
        guard TestbedRenderer.sizes.contains(size) else {
            throw ValidationError("--size must be one of \(TestbedRenderer.sizes.map(String.init).joined(separator: ", ")), "
                + "got \(size)")
        }
    }
}

extension TestbedSplit: ExpressibleByArgument {}
extension TestbedDatasetFormat: ExpressibleByArgument {}

/// `stylegan testbed render --count N --size S --seed K --out DIR`: a dataset in a training format.
struct TestbedRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Write testbed renders with their masks and labels as a training dataset.",
        discussion: """
            DIR gets the images (folder: images/NNNNNN.png with images/dataset.json; zip: a StyleGAN2-ADA \
            dataset.zip; lmdb: a rosinality dataset.lmdb), masks/NNNNNN.png (CelebAMask-HQ class ids), labels.csv \
            (file, split, index, identity, variation, attributes) and testbed.json. --seed K renders the split's \
            indices K*N ..< (K+1)*N, so seeds of one count are disjoint; the same arguments give the same bytes. \
            The wild split's identities are never in train or test, and its renders are degraded like photos.
            """
    )

    @Option(parsing: .unconditional, help: "Number of renders.")
    var count: Int

    @Option(parsing: .unconditional, help: "Image size: 64, 128, 256 or 512.")
    var size: Int

    @Option(parsing: .unconditional, help: "Block of the split to render: indices seed*count ..< (seed+1)*count.")
    var seed = 0

    @Option(help: "Output folder (written beside it, then renamed into place).")
    var out: String

    @Option(help: "train, test or wild.")
    var split: TestbedSplit = .train

    @Option(help: "folder, zip or lmdb.")
    var format: TestbedDatasetFormat = .folder

    @Flag(help: "Blur, noise and JPEG on every render, as photos (the wild split always has them).")
    var photoLike = false

    @Flag(help: "Replace an existing non-empty output folder.")
    var overwrite = false

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    var options: TestbedDatasetOptions {
        TestbedDatasetOptions(count: count, size: size, seed: seed, split: split, format: format, photoLike: photoLike,
                              overwrite: overwrite)
    }

    func validate() throws {
        try Bounds.check("--count", count, 1...Int.max)
        try TestbedCommand.checkSize(size)
        try Bounds.check("--seed", seed, 0...Int.max)
        do {
            try options.validate()
        } catch let error as TestbedError {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try runtime.start()
        let device = try self.device.resolve()
        let progress = Progress(label: "render")
        let summary: TestbedDatasetSummary
        do {
            summary = try TestbedDataset.write(to: out, options: options, device: device, progress: progress.update)
        } catch let error as TestbedError {
            throw CLIError(error.description)
        }
        let range = options.indices
        print("wrote \(count) \(split.rawValue) renders (indices \(range.lowerBound)..<\(range.upperBound)) at \(size) px to \(out) as \(format.rawValue)")
        print(String(format: "rendering %.0f images/s, %.1f s in all", summary.rendersPerSecond, summary.totalSeconds))
    }
}
