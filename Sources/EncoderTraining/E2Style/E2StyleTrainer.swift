import Encoders
import Foundation
import StyleGAN
import Torch

/// E2Style's `training/coach.py` and `models/e2style.py`: stage 1 trains the first-stage encoder as pSp's coach does;
/// stage k > 1 (`training_stage`) trains refinement stage k - 1 on top of the first stage and the earlier refinement
/// stages of `checkpoint_path`, which stay frozen: codes = first(x) (+ `latent_avg`), then each refinement stage adds
/// its residual for the image beside the previous stage's face-pooled image. Losses: pSp's terms with E2Style's
/// multi-layer identity and parsing terms (`EncoderLoss`). Checkpoints: `encoder_firststage.*`,
/// `encoder_refinestage_list.i.*`, `decoder.*`, `opts`, `latent_avg`.
///
/// The official encoders always predict 18 rows (a 1024-pixel generator); here the heads split the generator's rows
/// (`E2StyleStageEncoder.Heads.scaled`), 9/5/4 at 18. Codes of more rows than the generator reads (an official
/// encoder on a smaller generator) render from their first rows, as rosinality's generator reads them.
public final class E2StyleTrainer: PSPTrainer {
    /// The stages before the trained one, frozen: the first stage, then refinement stages (none at stage 1).
    public let frozenStages: [E2StyleStageEncoder]

    /// Stage `config.trainingStage`: the frozen stages and the trained one (`encoder`).
    init(_ config: EncoderTrainingConfig, frozenStages: [E2StyleStageEncoder], trained: E2StyleStageEncoder,
         widths: StyleEncoderConfiguration, decoder: StyleGAN2Generator, latentAvg: Tensor, networks: EncoderLossNetworks,
         device: Device) throws
    {
        guard frozenStages.count == config.trainingStage - 1 else {
            throw EncoderTrainingError("training stage \(config.trainingStage) needs \(config.trainingStage - 1) stages "
                + "before it, got \(frozenStages.count)")
        }
        self.frozenStages = frozenStages
        for stage in frozenStages {
            try stage.to(device: device)
            try stage.freeze()
        }
        try super.init(config, encoder: trained, widths: widths, decoder: decoder, latentAvg: latentAvg, networks: networks,
                       device: device)
    }

    /// Loads the generator (`stylegan_weights`, or the decoder of `checkpoint_path`), the stages before
    /// `training_stage` from `checkpoint_path`, and starts the trained stage fresh (from `encoder_init` without its
    /// input layer for a refinement stage, as E2Style loads `model_ir_se50.pth`).
    public convenience init(_ config: EncoderTrainingConfig, networks: EncoderLossNetworks? = nil, device: Device = .cpu)
        throws
    {
        let (generator, file) = try Self.start(config, device: device)
        let decoder = generator.generator
        let widths = config.encoderConfiguration(styleDim: decoder.config.styleDim)
        let heads = E2StyleStageEncoder.Heads.scaled(styleCount: decoder.nLatent)
        func stage(_ index: Int) throws -> E2StyleStageEncoder {
            try E2StyleStageEncoder(inputChannels: index == 0 ? 3 : 6, heads: heads, configuration: widths)
        }
        var frozen: [E2StyleStageEncoder] = []
        for index in 0..<(config.trainingStage - 1) {
            let network = try stage(index)
            let prefix = Self.prefix(index)
            guard let file, file.contains(prefix: prefix) else {
                throw EncoderTrainingError("\(config.checkpointPath ?? ""): no \(prefix)* weights for stage \(index + 1); "
                    + "--training_stage \(config.trainingStage) needs a checkpoint of stage \(config.trainingStage - 1)")
            }
            try file.load(network, prefix: prefix, as: "E2Style stage \(index + 1)")
            frozen.append(network)
        }
        let trained = try stage(config.trainingStage - 1)
        let initial = try SeededInitialization.generator(seed: config.seed)
        try SeededInitialization.apply(trained, generator: initial)
        trained.train()
        if let path = config.encoderInit {
            try Self.loadTrunk(trained, from: path, inputLayer: config.trainingStage == 1, generator: initial)
        }
        try self.init(config, frozenStages: frozen, trained: trained, widths: widths, decoder: decoder,
                      latentAvg: file?.latentAvg ?? generator.latentAvg,
                      networks: networks ?? EncoderLossNetworks.load(for: config, device: device), device: device)
    }

    /// All stages, the trained one last.
    var stages: [any StyleCodeNetwork] { frozenStages + [encoder] }

    /// E2Style's `net.eval()` then the trained stage's `train()`: the frozen stages' batch norms keep their statistics.
    override func setTraining(_ on: Bool) {
        for stage in frozenStages { stage.eval() }
        encoder.train(on)
    }

    /// `E2Style.forward`: the last stage's image (pooled to the input size) and codes [N, rows, D].
    override func forward(_ x: Tensor, noise: NoiseMode) throws -> (image: Tensor, latent: Tensor) {
        var codes = try stages[0].styleCodes(x)
        if config.startFromLatentAvg { codes = try codes + latentAvg }
        var image = try render(codes, noise: noise)
        for stage in stages.dropFirst() {
            codes = try codes + stage.styleCodes(Tensor.cat([x, image], dim: 1))
            image = try render(codes, noise: noise)
        }
        return (image, codes)
    }

    override var savesLatentAverage: Bool { true }

    /// The official `state_dict` prefix of stage `index` (0: the first stage).
    static func prefix(_ index: Int) -> String {
        index == 0 ? "encoder_firststage." : "encoder_refinestage_list.\(index - 1)."
    }

    override func networkWeights() throws -> [(String, Tensor)] {
        var weights: [(String, Tensor)] = []
        for (index, stage) in stages.enumerated() {
            weights += try stage.stateDict().map { (Self.prefix(index) + $0.name, $0.tensor) }
        }
        return weights
    }

    override func loadWeights(_ weights: StateDict) throws {
        _ = try decoder.load(stateDict: Self.part(weights, "decoder."))
        for (index, stage) in stages.enumerated() { _ = try stage.load(stateDict: Self.part(weights, Self.prefix(index))) }
    }
}
