import StyleGAN
import Torch

/// CLCAE's inversion model (`AFPSP` without its generator), as its inference script runs it:
///
///     (latent_offset, base_offset, feature_offset) = encoder(x - x_avg)
///     w  = base_offset + latent_avg                          [N, 512]   (the foundation code)
///     w+ = latent_offset.squeeze(2) + w (every row)          [N, L, 512]
///     f  = feature_offset, replacing layer K = idx_k (5) with feature_scale 1
///
/// `latent_avg` is the generator's average w (the released models are trained with `--learn_in_w`, one row),
/// and x_avg the generator's image of it pooled to 256 (the reference reads the same picture from a PNG).
/// Built in eval mode and frozen.
public final class CLCAEEncoder: Module, InversionEncoder {
    /// `InversionEncoder.method` of this encoder, as files and the CLI name it.
    public static let methodName = "clcae"
    public let method = CLCAEEncoder.methodName
    public let inputSize = 256
    /// The inversion network, registered as `encoder` so keys read as in the checkpoints' `state_dict`.
    public let encoder: CLCAE.GradualStyleEncoder
    /// The generator's average w [512].
    public let latentAvg: Tensor
    /// x_avg [1, 3, 256, 256], subtracted from every input.
    public let averageImage: Tensor
    /// The generator layer the feature replaces (the reference's `idx_k`).
    public let featureLayer: Int

    /// Random weights until loaded, for a generator reading `styleCount` w+ rows.
    public init(styleCount: Int = 18, featureLayer: Int = FeatureStyleEncoder.featureLayer, latentAvg: Tensor,
                averageImage: Tensor) throws
    {
        guard latentAvg.shape == [512], averageImage.shape == [1, 3, 256, 256] else {
            throw TorchError("CLCAEEncoder: latent_avg must be [512] and the average image [1, 3, 256, 256], "
                + "got \(latentAvg.shape) and \(averageImage.shape)")
        }
        encoder = try CLCAE.GradualStyleEncoder(forImage: false, styleCount: styleCount)
        self.latentAvg = latentAvg
        self.averageImage = averageImage
        self.featureLayer = featureLayer
        super.init()
        try register(module: "encoder", encoder)
        // Not in CLCAE's files, but they move with the module.
        try register(buffer: "latent_avg", latentAvg, persistent: false)
        try register(buffer: "average_image", averageImage, persistent: false)
        eval()
        try freeze()
    }

    /// An encoder for `generator`: as many w+ rows as it reads, its `latent_avg`, x_avg rendered from it.
    public convenience init(generator: LoadedGenerator, featureLayer: Int = FeatureStyleEncoder.featureLayer) throws {
        try self.init(styleCount: generator.generator.nLatent, featureLayer: featureLayer,
                      latentAvg: generator.latentAvg.to(device: .cpu),
                      averageImage: Self.averageImage(of: generator).to(device: .cpu))
    }

    /// x_avg = G(latent_avg) with the generator's fixed noise, average-pooled to 256x256 as CLCAE's `face_pool`:
    /// [1, 3, 256, 256] on the device of `latentAvg`.
    public static func averageImage(of loaded: LoadedGenerator) throws -> Tensor {
        let g = loaded.generator
        return try withNoGrad {
            let w = try loaded.latentAvg.reshape([1, 1, g.config.styleDim])
            return try renderFacePooled(w.expand([1, g.nLatent, g.config.styleDim]), generator: g)
        }
    }

    /// Images [N, 3, 256, 256] in [-1, 1] -> w+ [N, L, 512] with `latent_avg` in, and the feature for layer
    /// `featureLayer` with blend 1 (the inference script's `feature_scale`).
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly([], for: method)
        try FeatureStyleEncoder.checkFeatureSpace(of: generator, styleCount: encoder.styleCount, method: "CLCAE",
                                                  layer: featureLayer)
        try expectInput(images, ["N", 3, 256, 256])
        return try output(from: encoder.offsets(images.to(device: deviceOf(self)) - averageImage))
    }

    /// w+ = latent_offset + (base_offset + latent_avg) on every row, and the feature offset as the layer-K
    /// feature with blend 1: how `AFPSP.forward` turns the network's outputs into the generator's inputs.
    public func output(from offsets: CLCAE.GradualStyleEncoder.Offsets) throws -> EncoderOutput {
        let w = try offsets.baseOffset + latentAvg  // [N, 512], the foundation code
        let wPlus = try offsets.latentOffset.squeeze(2) + w.unsqueeze(1)  // [N, L, 512]
        return EncoderOutput(wPlus: wPlus,
                             feature: FeatureInjection(layer: featureLayer, tensor: offsets.featureOffset, blend: 1))
    }
}
