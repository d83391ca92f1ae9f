import Checkpoints
import Data
import Foundation
import StyleGAN
import Torch
import Training

/// rosinality's `train.py` as a `Trainer`: each iteration a discriminator step (non-saturating logistic loss), lazy
/// R1 every `dRegEvery`, a generator step on style-mixed codes, lazy path-length regularisation every `gRegEvery`
/// on a batch shrunk by `pathBatchShrink`, then the EMA generator moves by 0.5^(32 / 10000). Adam's learning rate
/// and betas (0, 0.99) are raised to the lazy-regularisation ratio k / (k + 1), as the reference does. With
/// `augment`, reals and fakes go through the ADA pipeline, its p adapted toward `adaTarget` unless `augmentP` fixes it.
///
/// Every random draw (codes, mixing, noise maps, augmentation, path noise) comes from one seeded generator whose
/// state, with the data order's, the optimisers', the EMA's and ADA's, is in each checkpoint, so a resumed run
/// continues exactly as the uninterrupted one. Checkpoints are rosinality's (`g`, `d`, `g_ema`, `g_optim`,
/// `d_optim`, `args`, `ada_aug_p`), plus our state under `stylegankit`.
public final class StyleGAN2Trainer: Trainer {
    public let config: StyleGAN2TrainingConfig
    public let generator: StyleGAN2Generator
    public let discriminator: Discriminator
    public let generatorEMA: StyleGAN2Generator
    public let generatorOptimizer: Adam
    public let discriminatorOptimizer: Adam
    public let device: Device
    let dataset: ImageDataset
    private(set) var loader: DataLoader
    let ema: ExponentialMovingAverage
    let rng: Torch.Generator
    var ada: AdaptiveAugment
    var pathRegularizer = PathLengthRegularizer()
    /// The z codes of the sample grids, [nSample, latent].
    let sampleZ: Tensor
    /// The periodic Fréchet distance of the EMA generator (FID with Inception weights), or none.
    public var evaluation: FrechetEvaluation?

    public var batchSize: Int { config.batch }
    public var checkpointExtension: String { "pt" }

    /// Builds the networks (random, seeded), the optimisers and the data loader; nothing is trained yet.
    public init(_ config: StyleGAN2TrainingConfig, device: Device = .cpu) throws {
        try config.validate()
        self.config = config
        self.device = device
        rng = try Torch.Generator(seed: config.seed)
        let gConfig = try GeneratorConfig(size: config.size, styleDim: config.latent, nMLP: config.nMLP, plan: config.plan)
        generator = try StyleGAN2Generator(gConfig, generator: rng)
        var dConfig = try DiscriminatorConfig(size: config.size, plan: config.plan)
        dConfig.stddevGroup = config.mbstd
        discriminator = try Discriminator(dConfig, generator: rng)
        generatorEMA = try StyleGAN2Generator(gConfig, generator: rng)
        _ = try generatorEMA.load(stateDict: generator.stateDict())
        for module in [generator, generatorEMA] as [Module] { try module.to(device: device) }
        try discriminator.to(device: device)
        try generatorEMA.freeze()
        generatorEMA.eval()
        ema = try ExponentialMovingAverage(ema: generatorEMA, model: generator, buffers: .kept)
        let gRatio = Double(config.gRegEvery) / Double(config.gRegEvery + 1)
        let dRatio = Double(config.dRegEvery) / Double(config.dRegEvery + 1)
        generatorOptimizer = try Adam(generator.parameters(), lr: config.lr * gRatio, betas: (0, Foundation.pow(0.99, gRatio)))
        discriminatorOptimizer = try Adam(discriminator.parameters(), lr: config.lr * dRatio,
                                          betas: (0, Foundation.pow(0.99, dRatio)))
        ada = try AdaptiveAugment(target: config.adaTarget, length: config.adaLength, updateEvery: config.adaEvery,
                                  p: config.augmentP)
        dataset = try ImageDataset.open(config.dataset, options: DatasetOptions(size: config.size))
        loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config), seed: config.seed)
        sampleZ = try Tensor.randn([config.nSample, config.latent], generator: Torch.Generator(seed: config.seed &+ 1))
            .to(device: device)
    }

    static func loaderOptions(_ config: StyleGAN2TrainingConfig) -> DataLoaderOptions {
        var options = DataLoaderOptions.rosinality(batchSize: config.batch)
        options.threads = config.workers
        options.skipBad = config.skipBad
        return options
    }

    /// Images the loader skipped as unreadable (with `skipBad`).
    public var skippedImages: [String] { loader.skippedImages }

    /// The augmentation probability in force.
    public var augmentationProbability: Double { ada.p }

    // MARK: one iteration

    public func step(_ iteration: Iteration) throws -> StepReport {
        let i = iteration.index
        let real = try loader.next().images.to(device: device)
        let augmenting = config.augment

        // Discriminator.
        try generator.requiresGrad(false)
        try discriminator.requiresGrad(true)
        let fake = try withNoGrad { try generate(config.batch) }
        let realSeen = augmenting ? try augment(real) : real
        let fakePrediction = try discriminate(augmenting ? try augment(fake) : fake)
        let realPrediction = try discriminate(realSeen)
        let dLoss = try GANLoss.discriminatorLogistic(realPredictions: realPrediction, fakePredictions: fakePrediction)
        try discriminatorOptimizer.zeroGrad()
        try dLoss.backward()
        try discriminatorOptimizer.step()
        if augmenting, config.augmentP == 0 { _ = try ada.tune(realPredictions: realPrediction.detach()) }

        var r1 = Double.nan
        if iteration.every(config.dRegEvery) {
            let leaf = try real.detach().requiresGrad(true)
            let prediction = try discriminate(augmenting ? try augment(leaf) : leaf)
            let penalty = try GANLoss.r1Penalty(realPredictions: prediction, realImages: leaf)
            try discriminatorOptimizer.zeroGrad()
            try (penalty * (config.r1 / 2 * Double(config.dRegEvery)) + prediction.select(0, 0).sum() * 0).backward()
            try discriminatorOptimizer.step()
            r1 = try penalty.item()
        }

        // Generator.
        try generator.requiresGrad(true)
        try discriminator.requiresGrad(false)
        let generated = try generate(config.batch)
        let gLoss = try GANLoss.generatorNonSaturating(fakePredictions: discriminate(augmenting ? try augment(generated) : generated))
        try generatorOptimizer.zeroGrad()
        try gLoss.backward()
        try generatorOptimizer.step()

        var path = Double.nan
        var pathLength = Double.nan
        if iteration.every(config.gRegEvery) {
            let sample = try LatentSample.sample(batch: Swift.max(1, config.batch / config.pathBatchShrink),
                                                 styleDim: config.latent, nLatent: generator.nLatent,
                                                 mixing: config.mixing, generator: rng, device: device)
            let latents = try generator.latents(sample)
            let images = try generator.synthesis(latents, noise: noise(), compute: config.precision.dtype).to(dtype: .float32)
            let result = try pathRegularizer.penalty(images: images, latents: latents, generator: rng)
            try generatorOptimizer.zeroGrad()
            try (result.penalty * (config.pathRegularize * Double(config.gRegEvery))
                + images.flatten().select(0, 0) * 0).backward()
            try generatorOptimizer.step()
            path = try result.penalty.item()
            pathLength = try result.pathLengths.mean().item()
        }
        try ema.update(decay: config.emaDecay(afterIterations: i))
        var scalars = [Scalar("d", try dLoss.item()), Scalar("g", try gLoss.item()),
                       Scalar("real_score", try realPrediction.mean().item()),
                       Scalar("fake_score", try fakePrediction.mean().item()),
                       Scalar("mean_path_length", pathRegularizer.meanPathLength)]
        if !r1.isNaN { scalars.append(Scalar("r1", r1)) }
        if !path.isNaN { scalars += [Scalar("path", path), Scalar("path_length", pathLength)] }
        if augmenting { scalars.append(Scalar("augment", ada.p)) }
        return StepReport(scalars: scalars)
    }

    /// Images of `batch` fresh style-mixed codes with fresh noise maps, [batch, 3, S, S].
    func generate(_ batch: Int) throws -> Tensor {
        let sample = try LatentSample.sample(batch: batch, styleDim: config.latent, nLatent: generator.nLatent,
                                             mixing: config.mixing, generator: rng, device: device)
        return try generator.synthesis(generator.latents(sample), noise: noise(), compute: config.precision.dtype)
    }

    /// Fresh noise maps (rosinality's `randomize_noise`), seeded from the run's generator.
    func noise() throws -> NoiseMode {
        .random(seed: UInt64(try Tensor.randint(0, Int(Int32.max), [1], generator: rng).itemInt()))
    }

    /// D's logits (float32) for images in any dtype, its convolutions in the configured precision.
    func discriminate(_ images: Tensor) throws -> Tensor {
        try discriminator(images, compute: config.precision.dtype)
    }

    /// The ADA pipeline, in float32 whatever the networks compute in.
    func augment(_ images: Tensor) throws -> Tensor {
        try AugmentPipeline.augment(images.to(dtype: .float32), p: ada.p, generator: rng).images
    }

    // MARK: samples

    public func samples(at _: Int) throws -> Tensor? {
        try withNoGrad {
            try generatorEMA.synthesis(generatorEMA.latents([sampleZ]), noise: .random(seed: config.seed))
        }
    }

    public func evaluate(at _: Int, group _: any ProcessGroup) throws -> [Scalar] {
        guard let evaluation else { return [] }
        return [Scalar(evaluation.name, try evaluation(generatorEMA, data: dataset, seed: config.seed &+ 2))]
    }

    // MARK: checkpoints

    /// Key of our own state in the checkpoint, beside rosinality's.
    public static let stateKey = "stylegankit"

    public func saveState(to path: String, iteration: Int) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json(_ value: some Encodable) throws -> CheckpointValue {
            .string(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
        let ours = CheckpointValue.dict([
            "iteration": .int(iteration),
            "rng": .tensor(try rng.state()),
            "data": try json(loader.state),
            "ada": try json(ada),
            "path_regularizer": try json(pathRegularizer),
            "config": try json(config),
        ])
        let value = CheckpointValue.dict([
            "g": CheckpointValue(try generator.stateDict()),
            "d": CheckpointValue(try discriminator.stateDict()),
            "g_ema": CheckpointValue(try generatorEMA.stateDict()),
            "g_optim": CheckpointValue(try generatorOptimizer.stateDict()),
            "d_optim": CheckpointValue(try discriminatorOptimizer.stateDict()),
            "args": rosinalityArguments(),
            "ada_aug_p": .float(ada.p),
            Self.stateKey: ours,
        ])
        try TorchCheckpoint.save(value, to: path)
    }

    /// The run's settings as rosinality's `args` Namespace (its names), so its scripts read our checkpoints.
    func rosinalityArguments() -> CheckpointValue {
        var entries: [(name: String, value: CheckpointValue)] = [
            ("path", .string(config.dataset)), ("arch", .string("stylegan2")), ("iter", .int(config.iter)),
            ("batch", .int(config.batch)), ("n_sample", .int(config.nSample)), ("size", .int(config.size)),
            ("r1", .float(config.r1)), ("path_regularize", .float(config.pathRegularize)),
            ("path_batch_shrink", .int(config.pathBatchShrink)), ("d_reg_every", .int(config.dRegEvery)),
            ("g_reg_every", .int(config.gRegEvery)), ("mixing", .float(config.mixing)), ("ckpt", .none),
            ("lr", .float(config.lr)), ("channel_multiplier", .int(config.channelMultiplier)), ("wandb", .bool(false)),
            ("local_rank", .int(0)), ("augment", .bool(config.augment)), ("augment_p", .float(config.augmentP)),
            ("ada_target", .float(config.adaTarget)), ("ada_length", .int(Int(config.adaLength))),
            ("ada_every", .int(config.adaEvery)), ("latent", .int(config.latent)), ("n_mlp", .int(config.nMLP)),
            ("start_iter", .int(0)), ("distributed", .bool(false)),
        ]
        if let cbase = config.cbase { entries.append(("cbase", .int(cbase))) }
        if let cmax = config.cmax { entries.append(("cmax", .int(cmax))) }
        return .namespace(entries)
    }

    public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        func part(_ key: String) throws -> PickleValue {
            guard case .dict(let top) = root, let value = top[key] else {
                throw StyleGAN2TrainingError("\(path): not a StyleGAN2 training checkpoint (no '\(key)')")
            }
            return value
        }
        do {
            _ = try generator.load(stateDict: part("g").stateDict())
            _ = try discriminator.load(stateDict: part("d").stateDict())
            _ = try generatorEMA.load(stateDict: part("g_ema").stateDict())
            try generatorOptimizer.loadStateDict(OptimizerState(part("g_optim")))
            try discriminatorOptimizer.loadStateDict(OptimizerState(part("d_optim")))
        } catch let error as StyleGAN2TrainingError {
            throw error
        } catch {
            throw StyleGAN2TrainingError("\(path): does not fit this run (size \(config.size), its widths and "
                + "latent \(config.latent)): \(error)")
        }
        let p = try part("ada_aug_p").double()
        ada = try AdaptiveAugment(target: config.adaTarget, length: config.adaLength, updateEvery: config.adaEvery, p: p)
        guard case .dict(let top) = root, let ours = top[Self.stateKey] else {
            // rosinality's own checkpoint: weights, optimisers and p; our streams start again from the seed.
            return nil
        }
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            try decoder.decode(type, from: Foundation.Data(try ours[key].string().utf8))
        }
        try rng.setState(ours["rng"].tensor())
        ada = try decode(AdaptiveAugment.self, "ada")
        pathRegularizer = try decode(PathLengthRegularizer.self, "path_regularizer")
        loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config), state: decode(SamplerState.self, "data"))
        return try ours["iteration"].int()
    }
}
