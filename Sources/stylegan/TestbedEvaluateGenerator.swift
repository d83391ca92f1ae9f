import ArgumentParser
import Foundation
import Metrics
import Perception

/// `stylegan testbed evaluate-generator`: a testbed generator's Fréchet distance and precision / recall beside the
/// floor of two disjoint render sets (`TestbedGeneratorQuality`).
struct TestbedEvaluateGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-generator",
        abstract: "Print a generator's Fréchet distance and precision / recall against held-out testbed renders.",
        discussion: """
            COUNT generated images (random z, random noise, no truncation) against the first COUNT test renders, in \
            the testbed feature network (the attribute classifier's pooled features); then the next COUNT test \
            renders against the same ones: the floor a perfect generator would reach with this many images. \
            Precision and recall are Kynkäänniemi et al.'s (k = 3).
            """
    )

    @OptionGroup var checkpoint: CheckpointOption

    @Option(parsing: .unconditional, help: "Images in each set.")
    var count = 2000

    @Option(parsing: .unconditional, help: "Seed of z and the noise maps.")
    var seed = 0

    @Option(help: "The feature network: the attribute classifier.")
    var classifier = "Models/testbed/attributes.safetensors"

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard count >= 4 else { throw ValidationError("--count must be at least 4") }
        guard seed >= 0 else { throw ValidationError("--seed must not be negative") }
        guard FileManager.default.fileExists(atPath: classifier) else {
            throw ValidationError("\(classifier): no such file (--classifier, the attribute classifier)")
        }
    }

    func run() throws {
        try runtime.start()
        let device = try self.device.resolve()
        let generator = try checkpoint.load(device: device).generator
        let network = try ResNet18Classifier.load(from: classifier, device: device)
        let quality = try TestbedGeneratorQuality.measure(generator, classifier: network, count: count,
                                                          seed: UInt64(seed), device: device)
        for (name, figures) in [("generated", quality.generated), ("floor", quality.floor)] {
            print("\(name)_frechet \(figures.frechetDistance)")
            print("\(name)_precision \(figures.precision)")
            print("\(name)_recall \(figures.recall)")
        }
    }
}
