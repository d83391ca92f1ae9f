import Checkpoints
import Encoders
import Foundation
import StyleGAN
import Torch
import Training

/// What e4e adds to pSp's coach (`training/coach.py`, and ReStyle's `coach_restyle_e4e.py`), for the encoder steps
/// of any pSp-family trainer:
/// - with `w_discriminator_lambda` > 0, a latent discriminator trained before each encoder step (w = mapping(z) for
///   fresh z against the encoder's codes, `latent_avg` added as e4e adds it, softplus losses, lazy R1 every `d_reg_every` steps,
///   optionally through code pools), whose non-saturating loss over the discriminated rows joins the encoder's;
/// - with progressive steps, the encoder's readout limited to w0 plus the deltas of the current stage, whose norms
///   are penalised (`delta_norm_lambda`).
public final class E4ERegularizers {
    let config: EncoderTrainingConfig
    /// Present when `w_discriminator_lambda` > 0.
    public let discriminator: LatentCodesDiscriminator?
    let discriminatorOptimizer: Adam?
    private var realPool: LatentCodesPool
    private var fakePool: LatentCodesPool
    /// The step at which each progressive stage starts; nil when training is not progressive.
    public let progressiveSteps: [Int]?
    /// The stage of the step in progress (nil: all deltas, e4e's `ProgressiveStage.Inference`).
    private(set) var stage: Int?
    /// The z of step `index`'s real codes, [batch, D]; nil draws N(0, 1) from the run's generator (parity tests
    /// give the reference's).
    var codeSource: ((_ index: Int) throws -> Tensor)?
    let styleCount: Int

    /// `generator` draws the discriminator's initial weights.
    init(_ config: EncoderTrainingConfig, decoder: StyleGAN2Generator, generator: Torch.Generator, device: Device) throws {
        self.config = config
        styleCount = decoder.nLatent
        progressiveSteps = try config.resolvedProgressiveSteps(styleCount: decoder.nLatent)
        if progressiveSteps != nil,
           ![.encoder4Editing, .progressiveBackboneEncoder, .resNetProgressiveBackboneEncoder].contains(config.encoderType)
        {
            throw EncoderTrainingError("progressive training needs e4e's encoder (--encoder_type Encoder4Editing or "
                + "ProgressiveBackboneEncoder)")
        }
        if config.wDiscriminatorLambda > 0 {
            let d = try LatentCodesDiscriminator(styleDim: decoder.config.styleDim)
            try SeededInitialization.apply(d, generator: generator)
            try d.to(device: device)
            discriminator = d
            discriminatorOptimizer = try Adam(d.parameters(), lr: config.wDiscriminatorLr)
        } else {
            (discriminator, discriminatorOptimizer) = (nil, nil)
        }
        realPool = LatentCodesPool(size: config.useWPool ? config.wPoolSize : 0)
        fakePool = LatentCodesPool(size: config.useWPool ? config.wPoolSize : 0)
    }

    /// The progressive stage at step `index`: the last stage whose step has come; nil when not progressive.
    public func stage(at index: Int) -> Int? {
        progressiveSteps.map { steps in steps.lastIndex { $0 <= index } ?? 0 }
    }

    /// The rows the discriminator sees: all, or those of the current stage.
    private var discriminatedRows: Range<Int> { 0..<(stage.map { $0 + 1 } ?? styleCount) }

    /// Sets the stage of step `index` on `encoder`'s readout.
    func enterStep(_ index: Int, encoder: any StyleCodeNetwork) {
        stage = stage(at: index)
        let readout: StyleReadout = stage.map { .progressive(stage: $0) } ?? .e4eInference
        if let network = encoder as? GradualStyleEncoder, config.encoderType == .encoder4Editing { network.readout = readout }
        if let network = encoder as? ReStyleBackboneEncoder { network.readout = readout }
    }

    /// e4e's `train_discriminator` on the encoder's input (ReStyle: the image beside the average image), the fake
    /// codes plus `codeOffset` (e4e: `latent_avg` with `start_from_latent_avg`; ReStyle-e4e adds nothing): its logged
    /// values, empty without a discriminator. `generator` draws z (and the pools' choices).
    func discriminatorStep(encoderInput: Tensor, codeOffset: Tensor?, encoder: any StyleCodeNetwork,
                           decoder: StyleGAN2Generator, index: Int, generator: Torch.Generator) throws -> [(String, Double)]
    {
        guard let discriminator, let discriminatorOptimizer else { return [] }
        try discriminator.requiresGrad(true)
        defer { _ = try? discriminator.requiresGrad(false) }
        let (real, fake) = try withNoGrad {
            let z = try (codeSource?(index) ?? Tensor.randn([config.batchSize, decoder.config.styleDim], generator: generator))
                .to(device: encoderInput.device)
            var real = try decoder.mapping(z)
            var fake = try encoder.styleCodes(encoderInput)
            if let codeOffset { fake = try fake + codeOffset }
            fake = try fake.slice(1, discriminatedRows)
            if config.useWPool {
                real = try realPool.query(real, generator: generator)
                fake = try fakePool.query(fake, generator: generator)
            }
            if fake.rank == 3 { fake = try fake.select(1, 0) }
            return (real, fake)
        }
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

    /// The adversarial and delta terms of `calc_loss` for codes [N, L, D] (weighted, summed), logging each.
    func loss(latent: Tensor, logged: inout [(String, Double)]) throws -> Tensor? {
        var total: Tensor?
        func add(_ value: Tensor) throws { total = try total.map { try $0 + value } ?? value }
        if let discriminator {
            let rows = discriminatedRows
            var adversarial = try Tensor.zeros([], device: latent.device)
            for i in rows { adversarial = try adversarial + F.softplus(-discriminator(latent.select(1, i))).mean() }
            let mean = try adversarial / Double(rows.count)
            logged.append(("encoder_discriminator_loss", try mean.item()))
            try add(mean * config.wDiscriminatorLambda)
        }
        if let stage {
            let first = try latent.select(1, 0)
            var deltas = try Tensor.zeros([], device: latent.device)
            for i in stride(from: 1, through: stage, by: 1) {
                let norm = try (latent.select(1, i) - first).norm(Double(config.deltaNorm), dims: [1]).mean()
                logged.append(("delta\(i)_loss", try norm.item()))
                deltas = try deltas + norm
            }
            logged.append(("total_delta_loss", try deltas.item()))
            try add(deltas * config.deltaNormLambda)
        }
        return total
    }

    // MARK: checkpoints

    /// Our state (the discriminator, its optimiser, the pools) and, with `save_training_data`, e4e's keys.
    func state(iteration: Int, optimizer: any Optimizer, bestValidationLoss: Double?) throws
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

    /// Restores `state`'s part of our checkpoint.
    func restore(_ ours: PickleValue) throws {
        guard let discriminator, let discriminatorOptimizer else { return }
        _ = try discriminator.load(stateDict: ours["discriminator"].stateDict())
        try discriminatorOptimizer.loadStateDict(OptimizerState(ours["discriminator_optimizer"]))
        if config.useWPool {
            try realPool.restore(try? ours["real_w_pool"].tensor())
            try fakePool.restore(try? ours["fake_w_pool"].tensor())
        }
    }

    /// The discriminator and its optimiser from an e4e training checkpoint.
    func restore(official root: PickleValue) throws {
        guard let discriminator, let discriminatorOptimizer else { return }
        _ = try discriminator.load(stateDict: root["discriminator_state_dict"].stateDict())
        try discriminatorOptimizer.loadStateDict(OptimizerState(root["discriminator_optimizer_state_dict"]))
    }
}
