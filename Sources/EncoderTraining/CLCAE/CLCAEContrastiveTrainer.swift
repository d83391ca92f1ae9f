import Checkpoints
import Data
import Encoders
import Foundation
import StyleGAN
import Torch
import Training

/// CLCAE's stage 1, `training/contrastive_coach.py` as a `Trainer`: the image encoder (IR-SE50 w head on x - x_avg,
/// projection, L2 norm) and the latent encoder (three transformer layers on w - w_avg, projection, L2 norm) trained
/// together on image-latent pairs by the symmetric contrastive (CLIP) loss of the paper, each with its own Ranger (or
/// Adam) and `ReduceLROnPlateau(patience 10, factor 0.1)` stepped once per epoch with the epoch's mean validation loss.
///
/// The pairs are the official pre-generated folders when the dataset is one (`CLCAEPairFolder`: `image/`, `latent/`;
/// then `test_dataset` too, validated over all its full batches as the coach's loader with `drop_last`). Otherwise they
/// come from the generator as those were made: pair i is z drawn from a generator of its own seed, w = mapping(z), the
/// image G(w) with that seed's noise, clamped, rounded to 8 bits (as a saved PNG) and pooled to 256. x_avg is
/// G(latent_avg) pooled to 256, w_avg the generator's `latent_avg` (the official `avg/` files are these).
///
/// Checkpoints hold both encoders, both optimisers and schedulers, the random stream and the pair order; the best
/// validation writes `best_model_image.pt` and `best_model_latent.pt` (`{state_dict, opts}`, the files the inversion
/// stage's `--contrastive_model_image` / `--contrastive_model_latent` and CLCAE's own loaders read), and the run's
/// end `iteration_image_N.pt` and `iteration_latent_N.pt`.
public final class CLCAEContrastiveTrainer: Trainer {
    public let config: EncoderTrainingConfig
    public let imageEncoder: CLCAEImageEncoder
    public let latentEncoder: CLCAELatentEncoder
    public let decoder: StyleGAN2Generator
    /// w_avg [D]
    public let latentAvg: Tensor
    /// x_avg [1, 3, S, S]
    public let averageImage: Tensor
    /// The width of codes and embeddings and the side of the images.
    var width: Int { latentEncoder.width }
    var side: Int { imageEncoder.encoder.design.trunk.inputSize }
    public let device: Device
    let optimizerImage: any Optimizer
    let optimizerLatent: any Optimizer
    let schedulerImage: ReduceLROnPlateau
    let schedulerLatent: ReduceLROnPlateau
    var pairs: SamplerState
    /// The official pair folders, when the run reads them: training, validation.
    let folders: (train: CLCAEPairFolder, test: CLCAEPairFolder)?
    let rng: Torch.Generator
    var bestValidationLoss: Double?
    /// The validation losses of the current epoch (the coach's `AvgMeter`): their sum and count.
    var meter: (sum: Double, count: Int) = (0, 0)
    /// Where `best_model_*.pt` and `iteration_*_N.pt` go; nil: not written.
    public var checkpointFolder: String?

    public var batchSize: Int { config.batchSize }
    public var checkpointExtension: String { "pt" }

    /// Loads the generator, builds both encoders (CLCAE's initialisation from the run's seed, or
    /// `checkpoint_path_image` / `checkpoint_path_latent`); nothing is trained yet.
    public convenience init(_ config: EncoderTrainingConfig, device: Device = .cpu) throws {
        try config.validate()
        let loaded = try GeneratorCheckpoint.load(config.styleganWeights, device: device)
        let decoder = loaded.generator
        let design = try config.clcaeDesign(for: decoder)
        let image = try CLCAEImageEncoder(design: design)
        let latent = try CLCAELatentEncoder(width: design.width)
        if let imagePath = config.checkpointPathImage, let latentPath = config.checkpointPathLatent {
            try image.load(stateDict: CLCAEImageEncoder.load(path: imagePath).stateDict())
            try latent.load(stateDict: CLCAELatentEncoder.load(path: latentPath).stateDict())
        } else {
            let generator = try SeededInitialization.generator(seed: config.seed)
            let equalLinear = config.equalLinearInit ?? .official
            try CLCAEInitialization.apply(image, generator: generator, equalLinear: equalLinear)
            try CLCAEInitialization.apply(latent, generator: generator, equalLinear: equalLinear)
        }
        try self.init(config, imageEncoder: image, latentEncoder: latent, decoder: decoder,
                      latentAvg: loaded.latentAvg.reshape([-1]),
                      averageImage: CLCAEEncoder.averageImage(of: loaded, side: design.trunk.inputSize), device: device)
    }

    /// A run of these networks (unfrozen here, in training mode).
    init(_ config: EncoderTrainingConfig, imageEncoder: CLCAEImageEncoder, latentEncoder: CLCAELatentEncoder,
         decoder: StyleGAN2Generator, latentAvg: Tensor, averageImage: Tensor, device: Device) throws
    {
        try config.validate()
        self.config = config
        if CLCAEPairFolder.isPairFolder(config.dataset) {
            guard let test = config.testDataset else {
                throw EncoderTrainingError("\(config.dataset) holds pre-generated pairs; give their validation pairs with "
                    + "--test_dataset (a folder with image/ and latent/)")
            }
            let (train, validation) = (try CLCAEPairFolder(path: config.dataset), try CLCAEPairFolder(path: test))
            guard train.count >= config.batchSize, validation.count >= config.testBatchSize else {
                throw EncoderTrainingError("\(config.dataset), \(test): fewer pairs than a batch (--batch_size "
                    + "\(config.batchSize), --test_batch_size \(config.testBatchSize))")
            }
            folders = (train, validation)
        } else {
            folders = nil
        }
        self.imageEncoder = imageEncoder
        self.latentEncoder = latentEncoder
        self.decoder = decoder
        self.device = device
        self.latentAvg = try latentAvg.reshape([latentEncoder.width]).to(device: device)
        self.averageImage = try averageImage.to(device: device)
        rng = try Torch.Generator(seed: config.seed)
        pairs = SamplerState(seed: config.seed &+ 3)
        for network in [imageEncoder, latentEncoder] as [Module] {
            try network.to(device: device)
            try network.requiresGrad(true)
            network.train()
        }
        try decoder.to(device: device)
        try decoder.requiresGrad(false)
        optimizerImage = try config.optimName.make(imageEncoder.parameters(), lr: config.learningRate)
        optimizerLatent = try config.optimName.make(latentEncoder.parameters(), lr: config.learningRate)
        schedulerImage = try ReduceLROnPlateau(optimizerImage, mode: .min, factor: 0.1, patience: 10)
        schedulerLatent = try ReduceLROnPlateau(optimizerLatent, mode: .min, factor: 0.1, patience: 10)
    }

    /// The index of the first validation pair: far from the training pairs' seeds.
    static let testOffset: UInt64 = 1 << 40

    /// Training pairs `indices`: images [N, 3, S, S] and their codes w [N, D].
    func trainingPairs(_ indices: [Int]) throws -> (images: Tensor, w: Tensor) {
        if let folders { return try folders.train.pairs(indices, side: side, width: width, device: device) }
        return try pairs(indices)
    }

    /// Generated pairs `indices` (+ `offset`): images [N, 3, S, S] and their codes w [N, D].
    func pairs(_ indices: [Int], offset: UInt64 = 0) throws -> (images: Tensor, w: Tensor) {
        let (z, noise) = try SeededSamples.draw(indices.map { config.seed &* 0x9E37_79B9 &+ offset &+ UInt64($0) },
                                                for: decoder)
        return try withNoGrad {
            let w = try decoder.mapping(z.to(device: device))
            let wPlus = try w.unsqueeze(1).expand([w.size(0), decoder.nLatent, w.size(1)])
            let image = try decoder.synthesis(wPlus, noise: .explicit(noise.map { try $0.to(device: device) }))
            // As a saved 8-bit PNG read back, then pooled to the encoder's side (the official pairs are such files).
            let quantized = try ((image.clamp(min: -1, max: 1) + 1) * 127.5).round() / 127.5 - 1
            return (try F.adaptiveAvgPool2d(quantized, (side, side)), w)
        }
    }

    /// The coach's `calc_loss`: the symmetric contrastive loss of the embeddings of images [N, 3, S, S] and codes
    /// w [N, D].
    func contrastiveLoss(images: Tensor, w: Tensor) throws -> Tensor {
        let imageEmbeddings = try imageEncoder(images, average: averageImage)
        let latentEmbeddings = try latentEncoder(w.unsqueeze(1), average: latentAvg.reshape([1, 1, width]))
        return try CLCAEContrastiveLoss.symmetric(imageEmbeddings: imageEmbeddings, latentEmbeddings: latentEmbeddings,
                                                  logitScale: imageEncoder.logitScale())
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let sampler = Sampler(seed: pairs.seed, items: folders?.train.count ?? config.contrastiveSamples, shuffle: true)
        let epoch = pairs.epoch
        let indices = sampler.next(batchSize, from: &pairs)
        if pairs.epoch != epoch { try endEpoch() }
        let (images, w) = try trainingPairs(indices)
        try CLCAEInitialization.seedDropout(from: rng)
        let logged = try trainingStep(images: images, w: w)
        if iteration.index + 1 == iteration.total, let checkpointFolder {
            try writeOfficial(to: checkpointFolder, names: ("iteration_image_\(iteration.total).pt",
                                                            "iteration_latent_\(iteration.total).pt"))
        }
        return StepReport(scalars: logged.map { Scalar($0.0, $0.1) })
    }

    /// One step of both optimisers on a batch of pairs; the logged `loss_contrastive` and `loss`.
    func trainingStep(images: Tensor, w: Tensor) throws -> [(String, Double)] {
        imageEncoder.train()
        latentEncoder.train()
        try optimizerImage.zeroGrad()
        try optimizerLatent.zeroGrad()
        let loss = try contrastiveLoss(images: images, w: w)
        try loss.backward()
        try optimizerImage.step()
        try optimizerLatent.step()
        let value = try loss.item()
        return [("loss_contrastive", value), ("loss", value)]
    }

    /// The coach's end of an epoch: both schedulers step with the epoch's mean validation loss (0 without one, as
    /// its `AvgMeter`).
    func endEpoch() throws {
        let mean = meter.count > 0 ? meter.sum / Double(meter.count) : 0
        try schedulerImage.step(mean)
        try schedulerLatent.step(mean)
        meter = (0, 0)
    }

    /// The coach's `validate`: the validation pairs in eval mode without gradients, the mean loss; a new lowest writes
    /// the best pair.
    public func evaluate(at iteration: Int, group _: any ProcessGroup) throws -> [Scalar] {
        imageEncoder.eval()
        latentEncoder.eval()
        defer {
            imageEncoder.train()
            latentEncoder.train()
        }
        let batch = config.testBatchSize
        let batches = folders.map { $0.test.count / batch } ?? config.contrastiveTestBatches
        var total = 0.0
        try withNoGrad {
            for b in 0..<batches {
                let indices = Array(b * batch..<(b + 1) * batch)
                let (images, w) = try folders.map { try $0.test.pairs(indices, side: side, width: width, device: device) }
                    ?? pairs(indices, offset: Self.testOffset)
                total += try contrastiveLoss(images: images, w: w).item()
            }
        }
        let mean = total / Double(batches)
        meter.sum += mean * Double(batch * batches)
        meter.count += batch * batches
        if bestValidationLoss.map({ mean < $0 }) ?? true {
            bestValidationLoss = mean
            if let checkpointFolder {
                try writeOfficial(to: checkpointFolder, names: ("best_model_image.pt", "best_model_latent.pt"))
            }
        }
        return [Scalar("test/loss_contrastive", mean), Scalar("test/loss", mean)]
    }

    /// Both encoders in the coach's layout, `{state_dict, opts}`, each under a temporary name, then renamed.
    func writeOfficial(to folder: String, names: (image: String, latent: String)) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let opts = try options()
        for (network, name) in [(imageEncoder as Module, names.image), (latentEncoder, names.latent)] {
            let path = folder + "/" + name
            try OfficialFile.write(.dict(["state_dict": CheckpointValue(StateDict(try network.stateDict().map {
                ($0.name, $0.tensor)
            })), "opts": opts]), to: path)
        }
    }

    /// The run's `opts`, with the trunk's widths and the CLCAE design when they are not the published ones.
    func options() throws -> CheckpointValue {
        let design = imageEncoder.encoder.design
        return try EncoderTrainingOpts.value(config, outputSize: decoder.config.size, widths: design.trunk, clcae: design)
    }

    // MARK: checkpoints

    public func saveState(to path: String, iteration: Int) throws {
        let json = JSONEncoder()
        let ours: [(key: CheckpointValue, value: CheckpointValue)] = [
            (.string("iteration"), .int(iteration)),
            (.string("optimizer_image"), CheckpointValue(try optimizerImage.stateDict())),
            (.string("optimizer_latent"), CheckpointValue(try optimizerLatent.stateDict())),
            (.string("scheduler_image"), CheckpointValue(schedulerImage.stateDict())),
            (.string("scheduler_latent"), CheckpointValue(schedulerLatent.stateDict())),
            (.string("rng"), .tensor(try rng.state())),
            (.string("pairs"), .string(String(decoding: try json.encode(pairs), as: UTF8.self))),
            (.string("best_val_loss"), bestValidationLoss.map { .float($0) } ?? .none),
            (.string("meter_sum"), .float(meter.sum)),
            (.string("meter_count"), .int(meter.count)),
        ]
        try TorchCheckpoint.save(.dict([
            (key: .string("state_dict_image"), value: CheckpointValue(StateDict(try imageEncoder.stateDict().map { ($0.name, $0.tensor) }))),
            (key: .string("state_dict_latent"), value: CheckpointValue(StateDict(try latentEncoder.stateDict().map { ($0.name, $0.tensor) }))),
            (key: .string("opts"), value: try options()),
            (key: .string(PSPTrainer.stateKey), value: .dict(ours)),
        ]), to: path)
    }

    public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        guard case .dict(let top) = root, let ours = top[PSPTrainer.stateKey] else {
            throw EncoderTrainingError("\(path): not a checkpoint of this trainer (no '\(PSPTrainer.stateKey)' state)")
        }
        do {
            try imageEncoder.load(stateDict: root["state_dict_image"].stateDict())
            try latentEncoder.load(stateDict: root["state_dict_latent"].stateDict())
            try optimizerImage.loadStateDict(OptimizerState(ours["optimizer_image"]))
            try optimizerLatent.loadStateDict(OptimizerState(ours["optimizer_latent"]))
            try schedulerImage.loadStateDict(StateRecord(ours["scheduler_image"]))
            try schedulerLatent.loadStateDict(StateRecord(ours["scheduler_latent"]))
            try rng.setState(ours["rng"].tensor())
            pairs = try JSONDecoder().decode(SamplerState.self, from: Foundation.Data(try ours["pairs"].string().utf8))
            bestValidationLoss = try? ours["best_val_loss"].double()
            meter = (try ours["meter_sum"].double(), try ours["meter_count"].int())
            return try ours["iteration"].int()
        } catch {
            throw EncoderTrainingError("\(path): does not fit this run: \(error)")
        }
    }
}
