import Checkpoints
import Encoders
import Foundation
import StyleGAN
import Torch
import Training

/// e4e's `training/coach.py`: pSp's step with, when `w_discriminator_lambda` > 0, a latent discriminator trained
/// before each encoder step (codes of the mapping network against the encoder's, softplus losses, lazy R1 every
/// `d_reg_every` steps, optionally through code pools) whose non-saturating loss joins the encoder's; and with
/// progressive steps, the encoder's readout limited to w0 plus the deltas of the current stage, whose norms are
/// penalised (`delta_norm_lambda`).
public final class E4ETrainer: PSPTrainer {
    /// Present when `w_discriminator_lambda` > 0.
    public let discriminator: LatentCodesDiscriminator?
    let discriminatorOptimizer: Adam?
    private var realPool: LatentCodesPool
    private var fakePool: LatentCodesPool
    /// The step at which each progressive stage starts; nil when training is not progressive.
    public let progressiveSteps: [Int]?

    override init(_ config: EncoderTrainingConfig, encoder: any StyleCodeNetwork, widths: StyleEncoderConfiguration,
                  decoder: StyleGAN2Generator, latentAvg: Tensor, networks: EncoderLossNetworks, device: Device) throws
    {
        progressiveSteps = try config.resolvedProgressiveSteps(styleCount: decoder.nLatent)
        if progressiveSteps != nil, config.encoderType != .encoder4Editing {
            throw EncoderTrainingError("progressive training needs --encoder_type Encoder4Editing")
        }
        if config.wDiscriminatorLambda > 0 {
            let d = try LatentCodesDiscriminator(styleDim: decoder.config.styleDim)
            try d.to(device: device)
            discriminator = d
            discriminatorOptimizer = try Adam(d.parameters(), lr: config.wDiscriminatorLr)
        } else {
            (discriminator, discriminatorOptimizer) = (nil, nil)
        }
        realPool = LatentCodesPool(size: config.useWPool ? config.wPoolSize : 0)
        fakePool = LatentCodesPool(size: config.useWPool ? config.wPoolSize : 0)
        try super.init(config, encoder: encoder, widths: widths, decoder: decoder, latentAvg: latentAvg,
                       networks: networks, device: device)
    }

    /// The progressive stage at step `index`: the last stage whose step has come; nil when not progressive
    /// (e4e's `ProgressiveStage.Inference`).
    public func stage(at index: Int) -> Int? {
        progressiveSteps.map { steps in steps.lastIndex { $0 <= index } ?? 0 }
    }

    /// The rows the discriminator sees: all, or those of the current stage.
    private func discriminatedRows(_ stage: Int?) -> Range<Int> {
        0..<(stage.map { $0 + 1 } ?? decoder.nLatent)
    }

    private var currentStage: Int?

    override func methodStep(_ x: Tensor, index: Int) throws -> [(String, Double)] {
        currentStage = stage(at: index)
        if let network = encoder as? GradualStyleEncoder, config.encoderType == .encoder4Editing {
            network.readout = currentStage.map { .progressive(stage: $0) } ?? .e4eInference
        }
        guard let discriminator, let discriminatorOptimizer else { return [] }
        try discriminator.requiresGrad(true)
        defer { _ = try? discriminator.requiresGrad(false) }
        let (real, fake) = try withNoGrad { try sampleRealAndFake(x) }
        let realPrediction = try discriminator(real), fakePrediction = try discriminator(fake)
        let realLoss = try F.softplus(-realPrediction).mean(), fakeLoss = try F.softplus(fakePrediction).mean()
        let loss = try realLoss + fakeLoss
        try discriminatorOptimizer.zeroGrad()
        try loss.backward()
        try discriminatorOptimizer.step()
        var logged = [("d_real_loss", try realLoss.item()), ("d_fake_loss", try fakeLoss.item()),
                      ("discriminator_loss", try loss.item())]
        if index % config.dRegEvery == 0 {
            let leaf = try real.detach().requiresGrad(true)
            let prediction = try discriminator(leaf)
            let penalty = try GANLoss.r1Penalty(realPredictions: prediction, realImages: leaf)
            let regularizer = try penalty * (config.r1 / 2 * Double(config.dRegEvery)) + prediction.select(0, 0).sum() * 0
            try discriminatorOptimizer.zeroGrad()
            try regularizer.backward()
            try discriminatorOptimizer.step()
            logged.append(("discriminator_r1_loss", try regularizer.item()))
        }
        return logged
    }

    /// e4e's `sample_real_and_fake_latents`: w = mapping(z) for fresh z, and the encoder's codes (without
    /// `latent_avg`) of the discriminated rows, each through its pool, the encoder's reduced to their first row.
    /// [N, D] each.
    private func sampleRealAndFake(_ x: Tensor) throws -> (Tensor, Tensor) {
        let z = try Tensor.randn([config.batchSize, decoder.config.styleDim], generator: rng).to(device: device)
        var real = try decoder.mapping(z)
        var fake = try encoder.styleCodes(x).slice(1, discriminatedRows(currentStage))
        if config.useWPool {
            real = try realPool.query(real, generator: rng)
            fake = try fakePool.query(fake, generator: rng)
        }
        if fake.rank == 3 { fake = try fake.select(1, 0) }
        return (real, fake)
    }

    override func methodLoss(latent: Tensor, logged: inout [(String, Double)]) throws -> Tensor? {
        var total: Tensor?
        func add(_ value: Tensor) throws { total = try total.map { try $0 + value } ?? value }
        if let discriminator {
            let rows = discriminatedRows(currentStage)
            var adversarial: Tensor?
            for i in rows {
                let term = try F.softplus(-discriminator(latent.select(1, i))).mean()
                adversarial = try adversarial.map { try $0 + term } ?? term
            }
            let mean = try adversarial! / Double(rows.count)
            logged.append(("encoder_discriminator_loss", try mean.item()))
            try add(mean * config.wDiscriminatorLambda)
        }
        if let stage = currentStage {
            let first = try latent.select(1, 0)
            var deltas = try Tensor.zeros([], device: latent.device)
            for i in stride(from: 1, through: stage, by: 1) {
                let delta = try latent.select(1, i) - first
                let norm = try delta.norm(Double(config.deltaNorm), dims: [1]).mean()
                logged.append(("delta\(i)_loss", try norm.item()))
                deltas = try deltas + norm
            }
            logged.append(("total_delta_loss", try deltas.item()))
            try add(deltas * config.deltaNormLambda)
        }
        return total
    }

    // MARK: checkpoints

    override func methodState(iteration: Int) throws
        -> (ours: [(String, CheckpointValue)], official: [(String, CheckpointValue)])
    {
        var ours: [(String, CheckpointValue)] = []
        var official: [(String, CheckpointValue)] = []
        if let discriminator, let discriminatorOptimizer {
            let weights = CheckpointValue(try discriminator.stateDict())
            let optimizerState = CheckpointValue(try discriminatorOptimizer.stateDict())
            ours += [("discriminator", weights), ("discriminator_optimizer", optimizerState)]
            if config.useWPool {
                ours += [("real_w_pool", try realPool.state.map { .tensor($0) } ?? .none),
                         ("fake_w_pool", try fakePool.state.map { .tensor($0) } ?? .none)]
            }
            if config.saveTrainingData {
                official += [("discriminator_state_dict", weights), ("discriminator_optimizer_state_dict", optimizerState)]
            }
        }
        if config.saveTrainingData {
            official += [("global_step", .int(iteration - 1)), ("optimizer", CheckpointValue(try optimizer.stateDict())),
                         ("best_val_loss", bestValidationLoss.map { .float($0) } ?? .none)]
        }
        return (ours, official)
    }

    override func restoreMethodState(_ ours: PickleValue) throws {
        guard let discriminator, let discriminatorOptimizer else { return }
        _ = try discriminator.load(stateDict: ours["discriminator"].stateDict())
        try discriminatorOptimizer.loadStateDict(OptimizerState(ours["discriminator_optimizer"]))
        if config.useWPool {
            try realPool.restore(try? ours["real_w_pool"].tensor())
            try fakePool.restore(try? ours["fake_w_pool"].tensor())
        }
    }

    /// Our checkpoints as pSp's; an e4e training checkpoint (`--save_training_data`, read through
    /// `--resume_training_from_ckpt`) as e4e's `load_from_train_checkpoint` reads it: the weights, the best loss,
    /// the discriminator and its optimiser, the encoder's optimiser with `keep_optimizer`; the run continues after
    /// its `global_step`, its random streams from the seed.
    override public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        guard case .dict(let top) = root, top[Self.stateKey] == nil, let step = top["global_step"] else {
            return try super.loadState(from: path)
        }
        do {
            let weights = try root["state_dict"].stateDict()
            func part(_ prefix: String) -> StateDict {
                StateDict(weights.filter { $0.0.hasPrefix(prefix) }.map { (String($0.0.dropFirst(prefix.count)), $0.1) })
            }
            _ = try encoder.load(stateDict: part("encoder."))
            _ = try decoder.load(stateDict: part("decoder."))
            bestValidationLoss = try? root["best_val_loss"].double()
            if config.keepOptimizer { try optimizer.loadStateDict(OptimizerState(root["optimizer"])) }
            if let discriminator, let discriminatorOptimizer {
                _ = try discriminator.load(stateDict: root["discriminator_state_dict"].stateDict())
                try discriminatorOptimizer.loadStateDict(OptimizerState(root["discriminator_optimizer_state_dict"]))
            }
            return try step.int() + 1
        } catch {
            throw EncoderTrainingError("\(path): an e4e training checkpoint that does not fit this run: \(error)")
        }
    }
}
