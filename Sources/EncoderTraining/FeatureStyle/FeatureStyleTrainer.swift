import Checkpoints
import Data
import Encoders
import Foundation
import StyleGAN
import Torch
import Training

/// The Feature-Style encoder's `train.py` and `trainer.py` as a `Trainer`. Each iteration draws a synthetic batch
/// (z from `--label_path`'s seeds as its dataset draws them, or from the run's stream; w = mapping(z); the image
/// rendered with the sample's noise) and, with `use_realimg`, as many real images; both go through the encoder,
/// whose w+ (+ `latent_avg`) and feature f render twice: once with fresh noise, once with the synthetic images' noise,
/// each with f replacing layer `idx_k` at the blend min(1, 1e-4 · iteration) (the rate is `feature_blend_rate`). The
/// loss (`FeatureStyleLoss`) adds the L2 of the synthetic half, LPIPS, ID and parsing terms of both renders, and the L2
/// between f and the generator's own layer-`idx_k` feature of w+; Ranger (or Adam) steps the encoder, and StepLR
/// lowers its rate every `step_size` epochs of `iter_per_epoch` iterations.
///
/// As the official loop, which puts the encoder in eval mode for its end-of-epoch validation and never back, the
/// encoder trains in train mode during the first epoch and in eval mode after it.
///
/// Checkpoints hold the official `checkpoint.pth` keys (`n_epoch`, `enc_state_dict`, `enc_opt_state_dict`,
/// `enc_scheduler_state_dict`) and, under `stylegankit`, the iteration, random stream and data positions, so a
/// resumed run continues exactly; an official `checkpoint.pth` resumes at its next epoch. At each epoch's end the run
/// folder gets `checkpoint.pth`, and at the run's end `enc.pth.tar`: the encoder's state dict, the file the official
/// `test.py` (and `stylegan invert --method fs`) reads beside the generator.
public final class FeatureStyleTrainer: Trainer {
    public let config: FeatureStyleTrainingConfig
    public let encoder: FeatureStyleEncoder
    public let decoder: StyleGAN2Generator
    /// The generator's average w [D] (`dlatent_avg`).
    public let latentAvg: Tensor
    public let device: Device
    let loss: FeatureStyleLoss
    let optimizer: any Optimizer
    let scheduler: StepLR
    let realImages: ImageDataset?
    private(set) var loader: DataLoader?
    /// The training split of `--label_path`'s seeds; nil: z and noise from `rng`.
    let seeds: [Int]?
    var seedState: SamplerState
    let rng: Torch.Generator
    let seed: UInt64
    let workers: Int
    /// Where `checkpoint.pth` and `enc.pth.tar` go; nil: not written (tests of the step alone).
    public var runFolder: String?

    public var batchSize: Int { config.batchSize }
    public var checkpointExtension: String { "pt" }

    /// Loads the generator (`styleganWeights`: its `latent_avg`, else the mean of mapping(z)), builds the encoder for
    /// it (random weights from `seed`), opens the real images and the seeds; nothing is trained yet.
    public convenience init(_ config: FeatureStyleTrainingConfig, styleganWeights: String, realImages: String?,
                            labelPath: String?, networks: FeatureStyleLossNetworks, seed: UInt64 = 0, workers: Int = 2,
                            device: Device = .cpu) throws
    {
        try config.validate()
        let loaded = try GeneratorCheckpoint.load(styleganWeights, device: device)
        let decoder = loaded.generator
        guard decoder.config.size == config.resolution else {
            throw EncoderTrainingError("\(styleganWeights): a \(decoder.config.size)-pixel generator; the configuration's "
                + "resolution is \(config.resolution)")
        }
        guard (1..<decoder.numLayers).contains(config.idxK) else {
            throw EncoderTrainingError("idx_k \(config.idxK) is not a layer of the \(decoder.config.size)-pixel generator "
                + "(1...\(decoder.numLayers - 1))")
        }
        let encoder = try FeatureStyleEncoder(styleCount: decoder.nLatent, configuration: Self.encoderConfiguration(config, decoder),
                                              latentAvg: loaded.latentAvg.reshape([-1]).to(device: .cpu))
        try SeededInitialization.apply(encoder, generator: SeededInitialization.generator(seed: seed))
        try self.init(config, encoder: encoder, decoder: decoder, latentAvg: loaded.latentAvg.reshape([-1]),
                      networks: networks, realImages: realImages, labelPath: labelPath, seed: seed, workers: workers,
                      device: device)
    }

    /// The encoder for `decoder`: the official widths (or / `enc_width_divisor`), reading `enc_resolution` images,
    /// its feature the channels of layer `idx_k`.
    static func encoderConfiguration(_ config: FeatureStyleTrainingConfig, _ decoder: StyleGAN2Generator)
        -> FeatureStyleEncoder.Configuration
    {
        let channels = decoder.channels(ofLayer: config.idxK)
        let styleDim = decoder.config.styleDim
        if config.encWidthDivisor > 1 {
            return .narrow(divisor: config.encWidthDivisor, styleDim: styleDim, featureChannels: channels,
                           inputSize: config.encResolution, featureStride: config.fsStride)
        }
        var c = FeatureStyleEncoder.Configuration.official
        (c.featureChannels, c.styleDim, c.inputSize, c.featureStride) = (channels, styleDim, config.encResolution, config.fsStride)
        return c
    }

    /// A run of `encoder` (any mode; it is unfrozen here) on `decoder` (frozen), with the average w [D].
    init(_ config: FeatureStyleTrainingConfig, encoder: FeatureStyleEncoder, decoder: StyleGAN2Generator, latentAvg: Tensor,
         networks: FeatureStyleLossNetworks, realImages: String?, labelPath: String?, seed: UInt64, workers: Int,
         device: Device) throws
    {
        try config.validate()
        self.config = config
        self.encoder = encoder
        self.decoder = decoder
        self.device = device
        self.seed = seed
        self.workers = workers
        self.latentAvg = try latentAvg.reshape([-1]).to(device: device)
        let c = encoder.configuration
        guard c.featureSize == decoder.resolution(ofLayer: config.idxK) || !config.useFsEncoder else {
            throw EncoderTrainingError("the encoder's \(c.featureSize)x\(c.featureSize) feature (enc_resolution "
                + "\(config.encResolution) / 8 / fs_stride \(config.fsStride)) does not fit layer \(config.idxK) of the "
                + "generator, \(decoder.resolution(ofLayer: config.idxK)) pixels wide: choose idx_k, enc_resolution or fs_stride to match")
        }
        if config.useFsEncoder { try encoder.checkFeatureSpace(of: decoder, layer: config.idxK) }
        rng = try Torch.Generator(seed: seed)
        loss = FeatureStyleLoss(config: config, networks: networks, parsingSize: config.parsingSize)
        try encoder.to(device: device)
        try decoder.to(device: device)
        try decoder.requiresGrad(false)
        try encoder.requiresGrad(true)
        encoder.train()
        let parameters = encoder.parameters()
        optimizer = try config.optimizer.make(parameters, lr: config.lr, betas: (config.beta1, config.beta2),
                                              weightDecay: config.weightDecay)
        scheduler = try StepLR(optimizer, stepSize: config.stepSize, gamma: config.gamma)

        if config.useRealimg {
            guard let realImages else {
                throw EncoderTrainingError("use_realimg is true: give the real images (DATASET), or set use_realimg: false")
            }
            let dataset = try ImageDataset.open(realImages, options: DatasetOptions(size: config.resolution, fit: .centerCropResize, allowUpscale: true))
            guard dataset.count >= config.batchSize else {
                throw EncoderTrainingError("\(realImages): \(dataset.count) images, fewer than one batch of \(config.batchSize)")
            }
            self.realImages = dataset
            loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config, workers: workers), seed: seed)
        } else {
            self.realImages = nil
        }
        if let labelPath {
            let all: [Int]
            do {
                all = try NumPy.readArray(labelPath).to(dtype: .int64).array(of: Int64.self).map { Int($0) }
            } catch {
                throw EncoderTrainingError("\(labelPath): cannot read the seeds (a NumPy array of integers): \(error)")
            }
            let kept = Int(config.trainSplit * Double(all.count))
            guard kept >= config.batchSize else {
                throw EncoderTrainingError("\(labelPath): \(all.count) seeds, \(kept) in the training split "
                    + "(train_split \(config.trainSplit)); fewer than one batch of \(config.batchSize)")
            }
            seeds = Array(all.prefix(kept))
        } else {
            seeds = nil
        }
        seedState = SamplerState(seed: seed &+ 2)
    }

    /// The official real-image loader: shuffled, drop_last, no flip.
    static func loaderOptions(_ config: FeatureStyleTrainingConfig, workers: Int) -> DataLoaderOptions {
        DataLoaderOptions(batchSize: config.batchSize, shuffle: true, flip: .none, threads: workers)
    }

    // MARK: one iteration

    /// z [B, D] and the noise maps [B, 1, r, r] of a synthetic batch: per sample from its seed as the official
    /// `MyDataSet` draws them (`torch.manual_seed(seed)`, z, then one map per layer), or from the run's stream.
    func syntheticDraw() throws -> (z: Tensor, noise: [Tensor]) {
        guard let seeds else {
            return (try Tensor.randn([batchSize, decoder.config.styleDim], generator: rng),
                    try decoder.config.noiseSides.map { try Tensor.randn([batchSize, 1, $0, $0], generator: rng) })
        }
        let picked = Sampler(seed: seedState.seed, items: seeds.count, shuffle: true).next(batchSize, from: &seedState)
        return try SeededSamples.draw(picked.map { UInt64(bitPattern: Int64(seeds[$0])) }, for: decoder)
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let i = iteration.index
        let (z, noise) = try syntheticDraw()
        let w = try withNoGrad { try decoder.mapping(z.to(device: device)) }
        let real = try loader?.next().images.to(device: device)
        let fresh = NoiseMode.random(seed: UInt64(try Tensor.randint(0, Int(Int32.max), [1], generator: rng).itemInt()))
        let (logged, shown) = try trainingStep(w: w, noise: noise.map { try $0.to(device: device) }, real: real,
                                               renderNoise: fresh, index: i)
        if (i + 1) % config.iterPerEpoch == 0 { try endEpoch(after: i + 1) }
        if i + 1 == iteration.total, let runFolder { try writeEncoder(to: runFolder + "/enc.pth.tar") }
        let images = (i + 1) % config.imageSaveIter == 0 ? [(tag: "images/train", images: shown)] : []
        return StepReport(scalars: logged.map { Scalar($0.0, $0.1) }, images: images)
    }

    /// One optimiser step (iteration `index`) on codes w [B, D] rendered with `noise` (one map [B, 1, r, r] per
    /// layer), beside `real` images [B, 3, R, R] when given; the first render of the reconstruction uses
    /// `renderNoise` (the official trainer's fresh noise). Returns the logged values and, for the image log, the input,
    /// both renders of its first sample [3, 3, R, R].
    func trainingStep(w: Tensor, noise: [Tensor], real: Tensor?, renderNoise: NoiseMode, index: Int) throws
        -> (logged: [(String, Double)], shown: Tensor)
    {
        encoder.train(index < config.iterPerEpoch)
        let n = w.size(0)
        let wPlus = try w.unsqueeze(1).expand([n, decoder.nLatent, w.size(1)])
        let synthetic = try withNoGrad { try decoder.synthesis(wPlus, noise: .explicit(noise)) }
        let x = try real.map { try Tensor.cat([synthetic, $0]) } ?? synthetic
        let maps = try real == nil ? noise : noise.map { try Tensor.cat([$0, $0]) }

        try optimizer.zeroGrad()
        let (codes, feature) = try encoder.codesAndFeature(encoderInput(x))
        let wRecon = try codes + latentAvg
        let injection = config.useFsEncoder
            ? FeatureInjection(layer: config.idxK, tensor: feature,
                               blend: Swift.min(1, config.featureBlendRate * Double(index))) : nil
        var own: Tensor?
        let first = try decoder.synthesis(wRecon, noise: renderNoise, feature: injection) { event in
            if case .feature(let layer, let value) = event, layer == self.config.idxK { own = value }
        }
        let weights = config.w
        var logged: [(String, Double)] = []
        var total: Tensor?
        func add(_ name: String, _ value: Tensor, _ weight: Double) throws {
            logged.append((name, try value.item()))
            let weighted = try value * weight
            total = try total.map { try $0 + weighted } ?? weighted
        }
        // L2 on the synthetic half (the trainer's b = N / 2), or on all with l2loss_on_real_image.
        let b = config.l2lossOnRealImage || x.size(0) < 2 ? x.size(0) : x.size(0) / 2
        if weights.l2 > 0 { try add("l2_loss", F.mseLoss(first.slice(0, 0, b), x.slice(0, 0, b)), weights.l2) }
        var second: Tensor?
        if let injection { second = try decoder.synthesis(wRecon, noise: .explicit(maps), feature: injection) }
        let renders = [first] + (second.map { [$0] } ?? [])
        func summed(_ term: (Tensor, Tensor) throws -> Tensor) throws -> Tensor {
            try renders.dropFirst().reduce(try term(first, x)) { try $0 + term($1, x) }
        }
        // The targets' ID features and parsing serve both renders (the official trainer recomputes them for each).
        if weights.lpips > 0 { try add("lpips_loss", summed(loss.lpips), weights.lpips) }
        if weights.id > 0 {
            let targets = try loss.identityTargets(x)
            try add("id_loss", summed { render, _ in try loss.identity(render, targets: targets) }, weights.id)
        }
        if config.useFsEncoder, let own {
            try add("feature_recon_loss", F.mseLoss(feature, own.detach()), weights.fRecon)
        }
        if weights.l1 > 0 {
            try add("l1_loss", F.l1Loss(loss.downscale(first, config.scale), loss.downscale(x, config.scale)), weights.l1)
        }
        if weights.landmark > 0 {
            let targets = try loss.landmarkTargets(x)
            try add("landmark_loss", summed { render, _ in try loss.landmark(render, targets: targets) }, weights.landmark)
        }
        guard let total else { throw EncoderTrainingError("every loss weight is 0: nothing to train") }
        logged.append(("loss", try total.item()))
        try total.backward()
        try optimizer.step()
        let shown = try withNoGrad { try Tensor.cat(([x] + renders).map { try $0.slice(0, 0, 1).detach() }) }
        return (logged, try shown.clamp(min: -1, max: 1))
    }

    /// The encoder's view of images at the generator's resolution: halved `scale` times (`downscale`), or enlarged to
    /// `enc_resolution` (bilinear) when the generator is smaller.
    func encoderInput(_ x: Tensor) throws -> Tensor {
        let side = config.encResolution
        if x.size(2) < side { return try F.interpolate(x, size: (side, side), mode: .bilinear, alignCorners: false) }
        return try loss.downscale(x, config.scale)
    }

    /// The end of an epoch of `iterations` completed ones: the scheduler's step, the encoder in eval mode (the official
    /// validation's `enc.eval()`, never undone) and the official `checkpoint.pth`.
    func endEpoch(after iterations: Int) throws {
        scheduler.step()
        encoder.eval()
        guard let runFolder else { return }
        try OfficialFile.write(to: runFolder + "/checkpoint.pth") { try saveState(to: $0, iteration: iterations) }
    }

    /// `enc.pth.tar`: the encoder's state dict, as the official `save_model` writes it.
    func writeEncoder(to path: String) throws {
        try OfficialFile.write(CheckpointValue(StateDict(encoder.stateDict().map { ($0.name, $0.tensor) })), to: path)
    }

    // MARK: checkpoints

    public func saveState(to path: String, iteration: Int) throws {
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        func text(_ value: some Encodable) throws -> CheckpointValue {
            .string(String(decoding: try json.encode(value), as: UTF8.self))
        }
        let ours: [(key: CheckpointValue, value: CheckpointValue)] = [
            (.string("iteration"), .int(iteration)),
            (.string("rng"), .tensor(try rng.state())),
            (.string("data"), try loader.map { try text($0.state) } ?? .none),
            (.string("seeds"), try text(seedState)),
        ]
        let entries: [(key: CheckpointValue, value: CheckpointValue)] = [
            (.string("n_epoch"), .int(iteration / config.iterPerEpoch - 1)),
            (.string("enc_state_dict"), CheckpointValue(StateDict(try encoder.stateDict().map { ($0.name, $0.tensor) }))),
            (.string("enc_opt_state_dict"), CheckpointValue(try optimizer.stateDict())),
            (.string("enc_scheduler_state_dict"), CheckpointValue(scheduler.stateDict())),
            (.string(PSPTrainer.stateKey), .dict(ours)),
        ]
        try TorchCheckpoint.save(.dict(entries), to: path)
    }

    /// Our checkpoints, or the official `checkpoint.pth` (weights, optimiser and scheduler; the run goes on at its
    /// next epoch, its random streams from the seed).
    public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        guard case .dict(let top) = root, top["enc_state_dict"] != nil else {
            throw EncoderTrainingError("\(path): not a Feature-Style training checkpoint (no enc_state_dict)")
        }
        do {
            _ = try encoder.load(stateDict: root["enc_state_dict"].stateDict())
            try optimizer.loadStateDict(OptimizerState(root["enc_opt_state_dict"]))
            try scheduler.loadStateDict(StateRecord(root["enc_scheduler_state_dict"]))
            guard let ours = top[PSPTrainer.stateKey] else { return (try root["n_epoch"].int() + 1) * config.iterPerEpoch }
            try rng.setState(ours["rng"].tensor())
            if let realImages {
                let decoded = try JSONDecoder().decode(SamplerState.self, from: Foundation.Data(try ours["data"].string().utf8))
                loader = try DataLoader(dataset: realImages, options: Self.loaderOptions(config, workers: workers), state: decoded)
            }
            seedState = try JSONDecoder().decode(SamplerState.self, from: Foundation.Data(try ours["seeds"].string().utf8))
            return try ours["iteration"].int()
        } catch {
            throw EncoderTrainingError("\(path): does not fit this run (a \(decoder.config.size)-pixel generator, "
                + "\(encoder.styleCount) styles): \(error)")
        }
    }
}
