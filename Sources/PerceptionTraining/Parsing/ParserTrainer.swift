import Checkpoints
import Foundation
import Perception
import Testbed
import Torch
import Training

/// Trains a face parser on testbed renders made on the fly (`trainingSamples`: a new identity for every image,
/// never data-bound), augments them, and takes one Adam
/// step on the official loss (`ParserLoss.training`). Checkpoints hold the weights under `state_dict` (so
/// `BiSeNet.load` / `UNetFaceParser.load` read them directly), the optimiser, the augmentation's random stream and
/// the configuration, so a resumed run continues exactly. `evaluate` reports the mIoU on the test split.
public final class ParserTrainer: Trainer {
    public let config: ParserTrainingConfig
    public let parser: FaceParserModel
    public let optimizer: Adam
    public let device: Device
    let renderer: TestbedRenderer
    let rng: Torch.Generator

    public var batchSize: Int { config.batch }
    public var checkpointExtension: String { "pt" }

    /// Builds the network (random weights seeded by `config.seed`, or those of `initialWeights`, a weights file of
    /// this network and widths, to train further from shipped weights), the optimiser and the renderer.
    public init(config: ParserTrainingConfig, initialWeights: String? = nil, device: Device = .cpu) throws {
        try config.validate()
        self.config = config
        self.device = device
        manualSeed(config.seed)
        parser = try FaceParserModel(config, device: device)
        if let initialWeights {
            let trained = try FaceParserModel(network: config.network, weights: initialWeights, device: device)
            do {
                try parser.module.load(stateDict: trained.module.stateDict())
            } catch {
                throw TorchError("\(initialWeights): does not fit the \(config.network) widths of this run: \(error)")
            }
        }
        parser.module.train()
        optimizer = try Adam(parser.module.parameters(), lr: config.learningRate)
        renderer = try TestbedRenderer(size: config.size, device: device)
        rng = try Torch.Generator(seed: config.seed &+ 1)
    }

    /// The renders of step `iteration`: running example k = iteration · batch + j is identity k (of the training
    /// split's million) in variation k mod 16, so a batch spans as many identities as it holds images and no
    /// render comes twice in a run shorter than a million examples.
    public static func trainingSamples(iteration: Int, batch: Int) -> [TestbedSample] {
        let split = TestbedSplit.train, identities = split.count / TestbedSplit.variationsPerIdentity
        return (iteration * batch..<(iteration + 1) * batch).map { k in
            split.sample(at: (k % identities) * TestbedSplit.variationsPerIdentity + k % TestbedSplit.variationsPerIdentity)
        }
    }

    /// face-parsing.PyTorch's poly decay: lr · (1 − index / total)^0.9.
    public func learningRate(at iteration: Iteration) -> Double {
        config.learningRate * Foundation.pow(1 - Double(iteration.index) / Double(max(iteration.total, 1)), 0.9)
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let batch = try renderer.render(Self.trainingSamples(iteration: iteration.index, batch: config.batch))
        let (images, masks) = try config.augmentation.apply(images: batch.images.to(device: device),
                                                            masks: batch.masks.to(device: device), generator: rng)
        optimizer.learningRates = optimizer.learningRates.map { _ in learningRate(at: iteration) }
        try optimizer.zeroGrad()
        let (total, terms) = try ParserLoss.training(heads: parser.headLogits(images), labels: masks,
                                                     network: config.network, ohemThreshold: config.ohemThreshold,
                                                     classWeightPower: config.classWeightPower)
        try total.backward()
        try optimizer.step()
        var scalars = [Scalar("loss", try total.item())]
        if terms.count > 1 {
            scalars += try zip(["loss_out", "loss_out16", "loss_out32"], terms).map { Scalar($0, try $1.item()) }
        }
        return StepReport(scalars: scalars + [Scalar("lr", learningRate(at: iteration))])
    }

    /// Twelve test renders of twelve identities, each beside its true and its predicted parsing (six columns:
    /// two per row).
    public func samples(at _: Int) throws -> Tensor? {
        try parser.testComparison(identities: 12, size: config.size, device: device)
    }

    /// The mIoU over the first `config.evaluationImages` test renders, and the pixel accuracy.
    public func evaluate(at _: Int, group _: any ProcessGroup) throws -> [Scalar] {
        let scores = try ParserEvaluation.evaluate(parser, split: .test, count: config.evaluationImages,
                                                   size: config.size, device: device)
        return [Scalar("miou", scores.meanIoU)]
    }

    // MARK: checkpoints

    /// Key of our own state in the checkpoint, beside `state_dict` and `optimizer`.
    public static let stateKey = "stylegankit"

    public func saveState(to path: String, iteration: Int) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let value = CheckpointValue.dict([
            "state_dict": CheckpointValue(try parser.module.stateDict()),
            "optimizer": CheckpointValue(try optimizer.stateDict()),
            Self.stateKey: .dict([
                "iteration": .int(iteration),
                "rng": .tensor(try rng.state()),
                "config": .string(String(decoding: try encoder.encode(config), as: UTF8.self)),
            ]),
        ])
        try TorchCheckpoint.save(value, to: path)
    }

    public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        guard case .dict(let top) = root, let weights = top["state_dict"], let optimizerState = top["optimizer"],
              let ours = top[Self.stateKey]
        else {
            throw TorchError("\(path): not a parser training checkpoint (no state_dict, optimizer or \(Self.stateKey))")
        }
        let saved = try JSONDecoder().decode(ParserTrainingConfig.self, from: Foundation.Data(ours["config"].string().utf8))
        guard saved.network == config.network, saved.bisenet == config.bisenet, saved.unet == config.unet,
              saved.size == config.size, saved.batch == config.batch
        else {
            throw TorchError("\(path): trained \(saved.network) at \(saved.size) px, batch \(saved.batch), with other "
                + "widths or settings than this run (\(config.network) at \(config.size) px, batch \(config.batch))")
        }
        try parser.module.load(stateDict: weights.stateDict())
        try optimizer.loadStateDict(OptimizerState(optimizerState))
        try rng.setState(ours["rng"].tensor())
        return try ours["iteration"].int()
    }

    // MARK: weights

    /// Writes the network's weights alone as safetensors in the official key layout (float16 unless
    /// `halfPrecision` is false; integer buffers keep their type), for `BiSeNet.load` / `UNetFaceParser.load`.
    public func exportWeights(to path: String, halfPrecision: Bool = true) throws {
        var tensors: [String: Tensor] = [:]
        for (key, tensor) in try parser.module.stateDict().dictionary {
            let cpu = try tensor.to(device: .cpu)
            tensors[key] = halfPrecision && cpu.dtype.isFloatingPoint ? try cpu.to(dtype: .float16) : cpu
        }
        let widths: String
        switch config.network {
        case .bisenet: widths = String(decoding: try JSONEncoder().encode(config.bisenet), as: UTF8.self)
        case .unet: widths = String(decoding: try JSONEncoder().encode(config.unet), as: UTF8.self)
        }
        try Safetensors.write(tensors, metadata: ["network": config.network.rawValue, "config": widths], to: path)
    }
}
