import Checkpoints
import Data
import Encoders
import Foundation
import Perception
import StyleGAN
import Torch
import Training

/// CLCAE's stage 2, `training/inversion_coach.py` with `models/attention_feature_psp.py` (AFPSP) as a `Trainer`. The
/// encoder reads x - x_avg and gives the foundation code w = base + latent_avg, the refined rows w+ = w + the cross
/// attention outputs, and the feature f; three renders follow, each with fresh noise and pooled to 256: x_rec (w+ with
/// f replacing layer `idx_k`, blended at min(1, b / (B - 1)) for batch b of the B in an epoch, as the coach's
/// `interation`), image_ww (w+ alone) and image_w (w on every row). The loss (`calcLoss`) is the coach's
/// `calc_loss`; Ranger (or Adam) steps the encoder, `ReduceLROnPlateau(patience 10, factor 0.1)` steps once per epoch
/// with the epoch's mean validation loss.
///
/// As the official code: the encoder starts from CLCAE's initialisation (the coach's `load_weights` hands the
/// contrastive checkpoint's top level to `load_state_dict(strict=False)`, which matches no key), or from
/// `checkpoint_path_af`; validation runs every `val_interval` iterations and at the first and last batch of every
/// epoch (not at iteration 0, where the coach's sanity pass returns nothing); `multi_scale_lpips` (its default) gives
/// the single-scale LPIPS of x_rec, since its `for ... else` overwrites the sum, and without it the LPIPS terms are 0;
/// the crop terms compare the input with the target.
///
/// Checkpoints hold `{state_dict (encoder.*, decoder.*), opts, iter}` plus `latent_avg` (so `stylegan invert
/// --method clcae` reads them with the generator's average) and our state under `stylegankit`; the best validation
/// writes `checkpoint/best_model.pt`.
public final class CLCAEInversionTrainer: Trainer {
    public let config: EncoderTrainingConfig
    public let encoder: CLCAE.GradualStyleEncoder
    public let decoder: StyleGAN2Generator
    /// latent_avg [D]
    public let latentAvg: Tensor
    /// x_avg [1, 3, S, S]
    public let averageImage: Tensor
    public let device: Device
    public let featureLayer: Int
    let networks: EncoderLossNetworks
    let contrastive: CLCAEContrastiveLoss?
    let optimizer: any Optimizer
    let scheduler: ReduceLROnPlateau
    let dataset: ImageDataset
    private(set) var loader: DataLoader
    let testDataset: ImageDataset?
    let rng: Torch.Generator
    var bestValidationLoss: Double?
    var meter: (sum: Double, count: Int) = (0, 0)
    /// The blend of the last step (the coach's `self.iter`), recorded in checkpoints.
    var blend = 0.0
    /// Where `best_model.pt` goes; nil: not written.
    public var checkpointFolder: String?

    public var batchSize: Int { config.batchSize }
    public var checkpointExtension: String { "pt" }

    /// Loads the generator, the loss networks and the contrastive pair, builds the encoder; nothing is trained yet.
    public convenience init(_ config: EncoderTrainingConfig, networks: EncoderLossNetworks? = nil, device: Device = .cpu)
        throws
    {
        try config.validate()
        let loaded = try GeneratorCheckpoint.load(config.styleganWeights, device: device)
        let decoder = loaded.generator
        let design = try config.clcaeDesign(for: decoder)
        let encoder = try CLCAE.GradualStyleEncoder(forImage: false, styleCount: decoder.nLatent, design: design)
        if let path = config.checkpointPathAf {
            let file = try EncoderCheckpointFile(path: path)
            _ = try encoder.load(stateDict: file.weights(under: "encoder."), strict: false)
        } else {
            try CLCAEInitialization.apply(encoder, generator: SeededInitialization.generator(seed: config.seed),
                                          equalLinear: config.equalLinearInit ?? .official)
        }
        let averageImage = try CLCAEEncoder.averageImage(of: loaded, side: design.trunk.inputSize)
        var contrastive: CLCAEContrastiveLoss?
        if config.contrastiveLambda > 0, let image = config.contrastiveModelImage, let latent = config.contrastiveModelLatent {
            contrastive = try CLCAEContrastiveLoss(imageEncoder: CLCAEImageEncoder.load(path: image, device: device),
                                                   latentEncoder: CLCAELatentEncoder.load(path: latent, device: device),
                                                   averageImage: averageImage, latentAvg: loaded.latentAvg.reshape([-1]))
        }
        try self.init(config, encoder: encoder, decoder: decoder, latentAvg: loaded.latentAvg.reshape([-1]),
                      averageImage: averageImage, networks: networks ?? EncoderLossNetworks.load(for: config, device: device),
                      contrastive: contrastive, device: device)
    }

    /// A run of `encoder` (unfrozen here, in training mode) on `decoder` (frozen).
    init(_ config: EncoderTrainingConfig, encoder: CLCAE.GradualStyleEncoder, decoder: StyleGAN2Generator, latentAvg: Tensor,
         averageImage: Tensor, networks: EncoderLossNetworks, contrastive: CLCAEContrastiveLoss?, device: Device) throws
    {
        try config.validate()
        self.config = config
        self.encoder = encoder
        self.decoder = decoder
        self.device = device
        self.networks = networks
        self.contrastive = contrastive
        featureLayer = config.idxK ?? FeatureStyleEncoder.featureLayer
        let design = encoder.design
        try FeatureStyleEncoder.checkFeatureSpace(of: decoder, styleCount: encoder.styleCount, method: "CLCAE",
                                                  layer: featureLayer, styleDim: design.width,
                                                  channels: design.featureChannels, size: design.featureSize)
        self.latentAvg = try latentAvg.reshape([design.width]).to(device: device)
        self.averageImage = try averageImage.to(device: device)
        if config.contrastiveLambda > 0, contrastive == nil {
            throw EncoderTrainingError("--contrastive_lambda needs the contrastive pair (--contrastive_model_image, "
                + "--contrastive_model_latent)")
        }
        rng = try Torch.Generator(seed: config.seed)
        try encoder.to(device: device)
        try encoder.requiresGrad(true)
        encoder.train()
        try decoder.to(device: device)
        try decoder.requiresGrad(false)
        optimizer = try config.optimName.make(encoder.parameters(), lr: config.learningRate)
        scheduler = try ReduceLROnPlateau(optimizer, mode: .min, factor: 0.1, patience: 10)
        // The official transforms resize every image to the encoder's input (`transforms.Resize`), whatever its size.
        func open(_ path: String) throws -> ImageDataset {
            try ImageDataset.open(path, options: DatasetOptions(size: design.trunk.inputSize, fit: .centerCropResize, allowUpscale: true))
        }
        dataset = try open(config.dataset)
        guard dataset.count >= config.batchSize else {
            throw EncoderTrainingError("\(config.dataset): \(dataset.count) images, fewer than one batch of \(config.batchSize)")
        }
        loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config), seed: config.seed)
        testDataset = try config.testDataset.map(open)
        if let testDataset, testDataset.count < config.testBatchSize {
            throw EncoderTrainingError("\(config.testDataset ?? ""): \(testDataset.count) images, fewer than one test "
                + "batch of \(config.testBatchSize)")
        }
    }

    /// The coach's train loader: shuffled, drop_last, `RandomHorizontalFlip`.
    static func loaderOptions(_ config: EncoderTrainingConfig) -> DataLoaderOptions {
        DataLoaderOptions(batchSize: config.batchSize, shuffle: true, flip: .random, threads: config.workers)
    }

    // MARK: one iteration

    /// AFPSP's outputs for x [N, 3, S, S] (every render pooled to S).
    struct Forward {
        var xRec: Tensor
        /// w+ [N, L, D]
        var latentRefine: Tensor
        /// w [N, D]
        var latentBase: Tensor
        /// f [N, C, R, R] (nil with `--not_for_feature`) and the generator's own layer-K feature of the first render
        /// (detached)
        var featureOffset: Tensor?
        var featureRefine: Tensor
        /// w+ rendered without f (with the feature only), and w on every row (not with `--not_for_feature
        /// --not_for_ww`)
        var imageWW: Tensor?
        var imageW: Tensor?
    }

    /// AFPSP's `forward(x, x_avg, return_features=True, interation=blend)`, its renders with `noise`: with the feature
    /// x_rec (w+ and f), image_ww and image_w; without it x_rec = G(w+) and image_w, or, with `--not_for_ww`, x_rec =
    /// G(w) alone.
    func forward(_ x: Tensor, blend: Double, noise: (NoiseMode, NoiseMode, NoiseMode)) throws -> Forward {
        let offsets = try encoder.offsets(x - averageImage)
        let w = try offsets.baseOffset + latentAvg
        let rows = try w.unsqueeze(1).expand([w.size(0), decoder.nLatent, w.size(1)])
        let refine = try offsets.latentOffset.squeeze(2) + rows
        let design = encoder.design
        var own: Tensor?
        let injection = offsets.featureOffset.map {
            FeatureInjection(layer: featureLayer, tensor: $0, blend: Swift.min(1, blend))
        }
        let first = design.forFeature || design.forWW ? refine : rows
        let xRec = try decoder.synthesis(first, noise: noise.0, feature: injection) { event in
            if case .feature(let layer, let value) = event, layer == self.featureLayer { own = value }
        }
        func pooled(_ image: Tensor) throws -> Tensor { try F.adaptiveAvgPool2d(image, (x.size(2), x.size(3))) }
        let imageWW = design.forFeature ? try pooled(decoder.synthesis(refine, noise: noise.1)) : nil
        let imageW = design.forFeature || design.forWW ? try pooled(decoder.synthesis(rows, noise: noise.2)) : nil
        return Forward(xRec: try pooled(xRec), latentRefine: refine, latentBase: w, featureOffset: offsets.featureOffset,
                       featureRefine: try own!.detach(), imageWW: imageWW, imageW: imageW)
    }

    /// The coach's `calc_loss(x, y, ...)`: the total and its `loss_dict`, in the coach's order.
    func calcLoss(x: Tensor, y: Tensor, _ out: Forward) throws -> (total: Tensor, logged: [(String, Double)]) {
        var logged: [(String, Double)] = []
        var total: Tensor?
        func add(_ name: String, _ value: Tensor, _ weight: Double) throws {
            logged.append((name, try value.item()))
            let weighted = try value * weight
            total = try total.map { try $0 + weighted } ?? weighted
        }
        let renders = [("", out.xRec)] + (out.imageWW.map { [("_ww", $0)] } ?? []) + (out.imageW.map { [("_w", $0)] } ?? [])
        let c = config
        // The targets' embeddings serve every render (the coach recomputes them for each).
        if c.idLambda > 0 {
            let targets = try EncoderLoss.targetEmbeddings(x: x, y: y, embed: networks.identityEmbedding)
            for (suffix, image) in renders {
                let (loss, improvement) = try EncoderLoss.identity(yHat: image, targets: targets, embed: networks.identityEmbedding)
                try add("loss_id" + suffix, loss, c.idLambda)
                logged.append(("id_improve" + suffix, improvement))
            }
        }
        if c.l2Lambda > 0 {
            for (suffix, image) in renders { try add("loss_l2" + suffix, F.mseLoss(image, y), c.l2Lambda) }
        }
        if c.lpipsLambda > 0 {
            for (suffix, image) in renders {
                // The coach's `for k in range(3): ... else: loss = lpips(image, y)`: the else always runs.
                let value = c.multiScaleLpips ? try networks.lpipsDistance(image, y).mean() : try Tensor.zeros([], device: y.device)
                try add("loss_lpips" + suffix, value, c.lpipsLambda)
            }
        }
        if c.lpipsLambdaCrop > 0 {
            try add("loss_lpips_crop", networks.lpipsDistance(EncoderLoss.crop(x), EncoderLoss.crop(y)).mean(), c.lpipsLambdaCrop)
        }
        if c.l2LambdaCrop > 0 { try add("loss_l2_crop", F.mseLoss(EncoderLoss.crop(x), EncoderLoss.crop(y)), c.l2LambdaCrop) }
        if c.wNormLambda > 0 {
            try add("loss_w_norm", EncoderLoss.wNorm(out.latentRefine, latentAvg: c.startFromLatentAvg ? latentAvg : nil),
                    c.wNormLambda)
        }
        if c.mocoLambda > 0 {
            let targets = try EncoderLoss.targetEmbeddings(x: x, y: y, embed: networks.mocoEmbedding)
            for (suffix, image) in renders {
                let (loss, improvement) = try EncoderLoss.identity(yHat: image, targets: targets, embed: networks.mocoEmbedding)
                try add("loss_moco" + suffix, loss, c.mocoLambda)
                logged.append(("id_improve" + suffix, improvement))
            }
        }
        if c.featureMatchingLambda > 0, let feature = out.featureOffset {
            try add("loss_feature", F.mseLoss(feature, out.featureRefine), c.featureMatchingLambda)
        }
        if c.contrastiveLambda > 0, let contrastive, let imageW = out.imageW {
            try add("loss_contras", contrastive(images: imageW, w: out.latentBase), c.contrastiveLambda)
        }
        guard let total else { throw EncoderTrainingError("every CLCAE loss weight is 0: nothing to train") }
        logged.append(("loss", try total.item()))
        return (total, logged)
    }

    /// Fresh noise maps for a render, seeded from the run's stream.
    func freshNoise() throws -> NoiseMode {
        .random(seed: UInt64(try Tensor.randint(0, Int(Int32.max), [1], generator: rng).itemInt()))
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let before = loader.state
        let perEpoch = dataset.count / batchSize
        let newEpoch = before.position > 0 && before.position + batchSize > dataset.count
        if newEpoch { try endEpoch() }
        let b = newEpoch ? 0 : before.position / batchSize
        let x = try loader.next().images.to(device: device)
        blend = perEpoch > 1 ? Double(b) / Double(perEpoch - 1) : 1
        try CLCAEInitialization.seedDropout(from: rng)
        let (logged, xRec) = try trainingStep(x, blend: blend, noise: (freshNoise(), freshNoise(), freshNoise()))
        let i = iteration.index
        var scalars = logged.map { Scalar($0.0, $0.1) }
        // The coach validates every val_interval iterations, at the last one and at each epoch's first and last batch.
        if i > 0, testDataset != nil, i % config.valInterval == 0 || i + 1 == iteration.total || blend >= 1 || blend == 0 {
            scalars += try validate()
        }
        let shown = i % config.imageInterval == 0 || (i < 1000 && i % 25 == 0)
        let images = shown ? [(tag: "images/train/faces", images: try PSPTrainer.faces(x: x, yHat: xRec))] : []
        return StepReport(scalars: scalars, images: images)
    }

    /// One optimiser step on images x (the target is x) at `blend`; the logged values and x_rec.
    func trainingStep(_ x: Tensor, blend: Double, noise: (NoiseMode, NoiseMode, NoiseMode)) throws
        -> (logged: [(String, Double)], xRec: Tensor)
    {
        encoder.train()
        try optimizer.zeroGrad()
        let out = try forward(x, blend: blend, noise: noise)
        let (total, logged) = try calcLoss(x: x, y: x, out)
        try total.backward()
        try optimizer.step()
        return (logged, out.xRec)
    }

    /// The coach's end of an epoch: the scheduler steps with the epoch's mean validation loss (0 without one).
    func endEpoch() throws {
        try scheduler.step(meter.count > 0 ? meter.sum / Double(meter.count) : 0)
        meter = (0, 0)
    }

    /// The coach's `validate`: the test set in eval mode without gradients, at the current blend, each logged value
    /// averaged over the batches; a new lowest loss writes `best_model.pt`.
    func validate() throws -> [Scalar] {
        guard let testDataset else { return [] }
        encoder.eval()
        defer { encoder.train() }
        let options = DataLoaderOptions(batchSize: config.testBatchSize, shuffle: false, flip: .none, threads: config.testWorkers)
        let test = try DataLoader(dataset: testDataset, options: options, seed: config.seed)
        var sums: [(String, Double)] = []
        try withNoGrad {
            for _ in 0..<test.batchesPerEpoch {
                let x = try test.next().images.to(device: device)
                let logged = try calcLoss(x: x, y: x, forward(x, blend: blend, noise: (freshNoise(), freshNoise(), freshNoise()))).logged
                if sums.isEmpty { sums = logged.map { ($0.0, 0) } }
                for (k, value) in logged.enumerated() { sums[k].1 += value.1 }
            }
        }
        let means = sums.map { ($0.0, $0.1 / Double(test.batchesPerEpoch)) }
        let loss = means.first { $0.0 == "loss" }?.1 ?? 0
        meter.sum += loss * Double(testDataset.count)
        meter.count += testDataset.count
        if bestValidationLoss.map({ loss < $0 }) ?? true {
            bestValidationLoss = loss
            if let checkpointFolder {
                try FileManager.default.createDirectory(atPath: checkpointFolder, withIntermediateDirectories: true)
                try OfficialFile.write(.dict(try officialEntries()), to: checkpointFolder + "/best_model.pt")
            }
        }
        return means.map { Scalar("test/" + $0.0, $0.1) }
    }

    // MARK: checkpoints

    /// The coach's save dict: `state_dict` (`encoder.*`, `decoder.*`), `opts`, `iter`; and `latent_avg` [1, 512].
    func officialEntries() throws -> [(key: CheckpointValue, value: CheckpointValue)] {
        var weights = try encoder.stateDict().map { ("encoder." + $0.name, $0.tensor) }
        weights += try decoder.stateDict().map { ("decoder." + $0.name, $0.tensor) }
        var resolved = config
        resolved.idxK = featureLayer
        return [
            (.string("state_dict"), CheckpointValue(StateDict(weights))),
            (.string("opts"), try EncoderTrainingOpts.value(resolved, outputSize: decoder.config.size, widths: encoder.design.trunk,
                                                          clcae: encoder.design)),
            (.string("iter"), .float(blend)),
            (.string("latent_avg"), .tensor(try latentAvg.unsqueeze(0).contiguous())),  // [1, D]
        ]
    }

    public func saveState(to path: String, iteration: Int) throws {
        let ours: [(key: CheckpointValue, value: CheckpointValue)] = [
            (.string("iteration"), .int(iteration)),
            (.string("optimizer"), CheckpointValue(try optimizer.stateDict())),
            (.string("scheduler"), CheckpointValue(scheduler.stateDict())),
            (.string("rng"), .tensor(try rng.state())),
            (.string("data"), .string(String(decoding: try JSONEncoder().encode(loader.state), as: UTF8.self))),
            (.string("best_val_loss"), bestValidationLoss.map { .float($0) } ?? .none),
            (.string("meter_sum"), .float(meter.sum)),
            (.string("meter_count"), .int(meter.count)),
        ]
        try TorchCheckpoint.save(.dict(try officialEntries() + [(key: .string(PSPTrainer.stateKey), value: .dict(ours))]),
                                 to: path)
    }

    public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        guard case .dict(let top) = root, let ours = top[PSPTrainer.stateKey] else {
            throw EncoderTrainingError("\(path): not a checkpoint of this trainer (no '\(PSPTrainer.stateKey)' state); "
                + "start from a CLCAE model with --checkpoint_path_af instead")
        }
        do {
            let weights = try root["state_dict"].stateDict()
            _ = try encoder.load(stateDict: PSPTrainer.part(weights, "encoder."))
            _ = try decoder.load(stateDict: PSPTrainer.part(weights, "decoder."))
            try optimizer.loadStateDict(OptimizerState(ours["optimizer"]))
            try scheduler.loadStateDict(StateRecord(ours["scheduler"]))
            try rng.setState(ours["rng"].tensor())
            let state = try JSONDecoder().decode(SamplerState.self, from: Foundation.Data(try ours["data"].string().utf8))
            loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config), state: state)
            bestValidationLoss = try? ours["best_val_loss"].double()
            meter = (try ours["meter_sum"].double(), try ours["meter_count"].int())
            blend = try root["iter"].double()
            return try ours["iteration"].int()
        } catch {
            throw EncoderTrainingError("\(path): does not fit this run: \(error)")
        }
    }
}
