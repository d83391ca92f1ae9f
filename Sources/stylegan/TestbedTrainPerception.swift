import ArgumentParser
import Foundation
import Images
import Metrics
import Perception
import PerceptionTraining
import Testbed
import Training

extension PerceptionNetwork: ExpressibleByArgument {}

/// `stylegan testbed train-perception NETWORK --outdir RUN`: trains a perception network on testbed renders made on
/// the fly, then writes RUN/NETWORK.safetensors and prints its test-split metrics.
struct TestbedTrainPerception: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-perception",
        abstract: "Train a perception network (identity, attributes, bisenet, unet, lpips) on the testbed.",
        discussion: """
            identity: IR-SE with the ArcFace loss on train-split identities (IRSE50.load reads the result); \
            attributes: a ResNet-18 predicting every testbed attribute (ResNet18Classifier.load); bisenet, unet: \
            the face parsers; lpips: LPIPS's linear layers on the attribute classifier (--trunk), calibrated on \
            2AFC triplets the renderer judges (LPIPS(testbed:linearLayers:)). The run folder \
            holds checkpoint/NNNNNN.pt, log.jsonl, TensorBoard event files, config.json, and at the end \
            NETWORK.safetensors (float16). --resume auto continues from the run's last checkpoint as the \
            uninterrupted run would have gone on. See docs/testbed.md.
            """
    )

    @Argument(help: "The network: \(PerceptionNetwork.allCases.map(\.rawValue).joined(separator: ", ")).")
    var network: PerceptionNetwork

    @Option(help: "Run folder.")
    var outdir: OutputFolder

    @Option(parsing: .unconditional, help: "Training iterations of the whole run (default: the network's).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Renders per iteration (default: the network's).")
    var batch: Int?

    @Option(parsing: .unconditional, help: "Render size: 64, 128, 256 or 512 (default: the network's: identity and lpips 64, attributes 128, unet 256, bisenet 512).")
    var size: Int?

    @Option(parsing: .unconditional, help: "Base width of the attribute classifier.")
    var width: Int?

    @Option(name: .customLong("eval-count"), parsing: .unconditional,
            help: "Test identities (identity, default 100), renders (attributes, default 2000; parsers 256) or 2AFC triplets (lpips, 1000) scored.")
    var evalCount: Int?

    @Option(parsing: .unconditional, help: "Train identities the identity network classifies (default \(IdentityTrainingConfig.testbed.identities)).")
    var identities: Int?

    @Option(parsing: .unconditional,
            help: "Distinct renders per train identity the identity network sees (default \(IdentityTrainingConfig.testbed.variations); the split's own: \(TestbedSplit.variationsPerIdentity)).")
    var variations: Int?

    @OptionGroup var trunk: TrunkOption

    @Option(parsing: .unconditional, help: "Adam's peak learning rate (default: the network's).")
    var lr: Double?

    @Option(help: "identity, attributes, bisenet, unet: weights a new run starts from (e.g. Models/testbed/unet.safetensors, to train further).")
    var `init`: String?

    @Option(name: .customLong("class-weights"), parsing: .unconditional,
            help: "bisenet, unet: class weights (1 / pixel share)^POWER in the cross-entropy, 0 to 1 (default 0.5).")
    var classWeights: Double?

    @Option(help: "auto (the run's last checkpoint, or fresh) or a checkpoint file.")
    var resume: String?

    @Option(parsing: .unconditional, help: "Seed of the weights and of every step's draws.")
    var seed = 0

    @Option(name: .customLong("save-every"), parsing: .unconditional, help: "Checkpoint every this many iterations.")
    var saveEvery = 250

    @Option(name: .customLong("eval-every"), parsing: .unconditional,
            help: "Test-split evaluation every this many iterations (default: none during the run).")
    var evalEvery: Int?

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    var overrides: PerceptionOverrides {
        PerceptionOverrides(batch: batch, renderSize: size, seed: UInt64(seed), width: width, evaluationCount: evalCount,
                            classes: identities, variations: variations, trunk: trunk.file(for: network), learningRate: lr, initialWeights: `init`,
                            classWeightPower: classWeights)
    }

    func validate() throws {
        try Seed.check("--seed", seed)
        if let steps { try Bounds.check("--steps", steps, 0...100_000_000) }
        if let batch { try Bounds.check("--batch", batch, 2...65_536) }
        if let width { try Bounds.check("--width", width, 1...512) }
        if let size { try TestbedCommand.checkSize(size) }
        try Bounds.check("--save-every", saveEvery, 1...100_000_000)
        if let evalEvery { try Bounds.check("--eval-every", evalEvery, 1...100_000_000) }
        if let evalCount { try Bounds.check("--eval-count", evalCount, 2...1_000_000) }
        if let identities { try Bounds.check("--identities", identities, 2...1_000_000) }
        if let variations { try Bounds.check("--variations", variations, 1...(1 << 30)) }
        if network != .identity, identities != nil || variations != nil {
            throw ValidationError("--identities and --variations are for identity only")
        }
        try trunk.check(for: network)
        if let lr, !(lr > 0 && lr < 1) { throw ValidationError("--lr must be in (0, 1), got \(lr)") }
        let parser = network == .bisenet || network == .unet
        if classWeights != nil, !parser { throw ValidationError("--class-weights is for bisenet and unet only") }
        if `init` != nil, network == .lpips { throw ValidationError("--init is not for lpips (it calibrates in minutes)") }
        if let classWeights, !(0...1).contains(classWeights) {
            throw ValidationError("--class-weights must be in [0, 1], got \(classWeights)")
        }
        if let file = `init`, !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("\(file): no such file (--init)")
        }
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let device = try self.device.resolve()
        let trainer = try network.trainer(overrides, device: device)
        let resumption: Resume = switch resume {
        case nil: .fresh
        case "auto": .auto
        case let path?: .checkpoint(path: path)
        }
        let options = TrainingOptions(iterations: steps ?? network.defaultIterations, checkpointEvery: saveEvery,
                                      keepCheckpoints: 2, sampleEvery: nil, evaluateEvery: evalEvery,
                                      logEvery: 10, resume: resumption)
        let outcome = try TrainingLoop(run: RunDirectory(path: outdir.path), options: options,
                                       progress: runtime.quiet ? .quiet : .automatic)
            .train(trainer, config: PerceptionRecord(network: network, training: trainer.configuration, loop: options))
        switch outcome {
        case .interrupted(let iteration, let checkpoint):
            print("stopped after \(iteration) iterations" + (checkpoint.map { "; resume from \($0)" } ?? ""))
        case .finished(let iteration, _):
            let weights = outdir.file(network.weightsFileName)
            try trainer.exportWeights(to: weights)
            print("trained \(iteration) iterations; weights \(weights)")
            for scalar in try trainer.testReport() { print("test \(scalar.name) \(scalar.value)") }
        }
    }
}

/// `stylegan testbed evaluate-perception NETWORK --weights FILE`: the test-split metrics of a weights file.
struct TestbedEvaluatePerception: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-perception",
        abstract: "Print a perception network's test-split metrics on the testbed (TAR@FAR, attribute accuracy, parsing mIoU, LPIPS 2AFC)."
    )

    @Argument(help: "The network: \(PerceptionNetwork.allCases.map(\.rawValue).joined(separator: ", ")).")
    var network: PerceptionNetwork

    @Option(help: "Weights file (NETWORK.safetensors of a run, or Models/testbed/NETWORK.safetensors).")
    var weights: String

    @Option(parsing: .unconditional, help: "Render size: 64, 128, 256 or 512 (default: the network's: identity and lpips 64, attributes 128, unet 256, bisenet 512).")
    var size: Int?

    var renderSize: Int { size ?? network.renderSize }

    @Option(name: .customLong("eval-count"), parsing: .unconditional,
            help: "Test identities (identity, default 100), renders (attributes, default 2000; parsers 512) or 2AFC triplets (lpips, 1000) scored.")
    var evalCount: Int?

    @Option(parsing: .unconditional, help: """
        attributes: also the Fréchet distance of the classifier's pooled features between N test renders and \
        the next N (a floor: same distribution), and between N test and N wild renders.
        """)
    var frechet: Int?

    @Option(help: "bisenet, unet: also write six test renders beside their true and predicted parsings to this PNG.")
    var grid: String?

    @OptionGroup var trunk: TrunkOption

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        try trunk.check(for: network)
        if grid != nil, network != .bisenet, network != .unet { throw ValidationError("--grid needs bisenet or unet") }
        if let frechet {
            guard network == .attributes else { throw ValidationError("--frechet needs the attributes network") }
            try Bounds.check("--frechet", frechet, 2...1_000_000)
        }
        if let evalCount { try Bounds.check("--eval-count", evalCount, 2...1_000_000) }
        try TestbedCommand.checkSize(renderSize)
        if !FileManager.default.fileExists(atPath: weights) { throw ValidationError("\(weights): no such file (--weights)") }
    }

    func run() throws {
        try runtime.start()
        let device = try self.device.resolve()
        for scalar in try network.evaluate(weights: weights, renderSize: renderSize, evaluationCount: evalCount,
                                                      trunk: trunk.file(for: network), device: device) {
            print("\(scalar.name) \(scalar.value)")
        }
        if let grid {
            let parser = try FaceParserModel(network: network == .bisenet ? .bisenet : .unet, weights: weights, device: device)
            let picture = try parser.testComparison(identities: 6, size: renderSize, device: device)
            try Image(tensor: imageGrid([picture], columns: 3)).write(to: grid)
            print("wrote \(grid)")
        }
        if let frechet {
            let classifier = try ResNet18Classifier.load(from: weights, device: device)
            let renderer = try TestbedRenderer(size: renderSize, device: device)
            func statistics(_ split: TestbedSplit, _ indices: Range<Int>) throws -> FeatureStatistics {
                try FeatureStatistics(features: TestbedFeatures.features(classifier, renderer: renderer, split: split,
                                                                         indices: indices).to(dtype: .float64))
            }
            let test = try statistics(.test, 0..<frechet)
            print("frechet_test_vs_test \(try Metrics.frechetDistance(test, statistics(.test, frechet..<(2 * frechet))))")
            print("frechet_test_vs_wild \(try Metrics.frechetDistance(test, statistics(.wild, 0..<frechet)))")
        }
    }
}

/// What `config.json` holds for a perception run.
struct PerceptionRecord: Encodable {
    let network: PerceptionNetwork
    let training: any Encodable
    let loop: TrainingOptions

    private enum Key: CodingKey { case network, training, loop }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(network, forKey: .network)
        try container.encode(training, forKey: .training)
        try container.encode(loop, forKey: .loop)
    }
}

/// `--trunk`: the attribute classifier the testbed LPIPS sits on (lpips only).
struct TrunkOption: ParsableArguments {
    @Option(name: .customLong("trunk"),
            help: "lpips: the attribute classifier the layers sit on. (default: Models/testbed/attributes.safetensors)")
    var path: String?

    /// The trunk file for lpips, nil for the other networks.
    func file(for network: PerceptionNetwork) -> String? {
        network == .lpips ? path ?? "Models/testbed/attributes.safetensors" : nil
    }

    /// A trunk given to another network, or a missing file, is a validation error.
    func check(for network: PerceptionNetwork) throws {
        if path != nil, network != .lpips { throw ValidationError("--trunk is for lpips only") }
        if let file = file(for: network), !FileManager.default.fileExists(atPath: file) {
            throw ValidationError("\(file): no such file (--trunk, the attribute classifier)")
        }
    }
}
