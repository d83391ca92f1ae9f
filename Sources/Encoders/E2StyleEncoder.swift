import StyleGAN
import Torch

/// E2Style inversion: the first stage encodes the image (plus `latent_avg` when trained with
/// `start_from_latent_avg`); each refinement stage encodes the image beside the previous stage's reconstruction
/// (fixed noise, `face_pool` to 256) and adds its residual codes, as the official `E2Style.forward`.
public final class E2StyleEncoder: InversionEncoder {
    public let method = "e2style"
    public let firstStage: E2StyleStageEncoder
    public let refineStages: [E2StyleStageEncoder]
    /// [L, D] added to the first stage's codes; nil when the checkpoint predicts w+ directly.
    public let latentAvg: Tensor?
    /// Stages in the checkpoint, first stage included: a run goes through all unless it asks for fewer (the
    /// official `--stage`).
    public let stages: Int
    public var inputSize: Int { firstStage.inputSize }
    public var networks: [Module] { [firstStage] + refineStages }

    /// `latentAvg` may be [D], [1, D] or [L, D].
    public init(firstStage: E2StyleStageEncoder, refineStages: [E2StyleStageEncoder], latentAvg: Tensor?) throws {
        guard firstStage.inputChannels == 3 else {
            throw TorchError("e2style: the first stage takes \(firstStage.inputChannels) channels, not images")
        }
        for (i, stage) in refineStages.enumerated() {
            guard stage.inputChannels == 6, stage.styleCount == firstStage.styleCount else {
                throw TorchError("e2style: refinement stage \(i) takes \(stage.inputChannels) channels to "
                    + "\(stage.styleCount) codes; expected 6 channels (image and reconstruction) to \(firstStage.styleCount)")
            }
        }
        self.firstStage = firstStage
        self.refineStages = refineStages
        self.latentAvg = try latentAvg.map { try latentRows($0, count: firstStage.styleCount) }
        stages = 1 + refineStages.count
    }

    /// The codes after each stage run, [N, L, D] each, latent average included; `stages` nil runs them all.
    public func codesPerStage(_ images: Tensor, generator: StyleGAN2Generator, stages: Int? = nil) throws -> [Tensor] {
        let stages = stages ?? self.stages
        guard (1...self.stages).contains(stages) else {
            throw TorchError("e2style: stages must be in 1...\(1 + refineStages.count) for this checkpoint, got \(stages)")
        }
        try expectImages(images, channels: 3, height: inputSize, width: inputSize, for: method)
        try expectCompatible(generator, styleCount: firstStage.styleCount, styleDim: firstStage.styleDim, method: method)
        return try withNoGrad {
            let x = try images.to(device: deviceOf(firstStage))
            var codes = try firstStage.styleCodes(x)
            if let latentAvg { codes = try codes + latentAvg.to(device: x.device) }
            var all = [codes]
            for stage in refineStages.prefix(stages - 1) {
                let previous = try renderFacePooled(codes, generator: generator, side: inputSize)
                codes = try codes + stage.styleCodes(Tensor.cat([x, previous], dim: 1))
                all.append(codes)
            }
            return all
        }
    }

    /// w+ after the last stage run.
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly(["stages"], for: method)
        return EncoderOutput(wPlus: try codesPerStage(images, generator: generator, stages: options.stages).last!)
    }

    public func settings(_ options: EncodingOptions) throws -> [String: String] {
        try options.expectOnly(["stages"], for: method)
        let stages = options.stages ?? self.stages
        guard (1...self.stages).contains(stages) else {
            throw TorchError("e2style: this checkpoint has \(self.stages) stages, \(stages) asked for")
        }
        return ["stages": "\(stages)"]
    }
}
