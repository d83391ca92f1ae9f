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
    public var inputSize: Int { encoder.design.trunk.inputSize }
    public var networks: [Module] { [self] }
    /// The inversion network, registered as `encoder` so keys read as in the checkpoints' `state_dict`.
    public let encoder: CLCAE.GradualStyleEncoder
    /// The generator's average w [D].
    public let latentAvg: Tensor
    /// x_avg [1, 3, S, S], subtracted from every input.
    public let averageImage: Tensor
    /// The generator layer the feature replaces (the reference's `idx_k`).
    public let featureLayer: Int

    /// Random weights until loaded, for a generator reading `styleCount` w+ rows.
    public init(styleCount: Int = 18, design: CLCAE.Design = .released, featureLayer: Int = FeatureStyleEncoder.featureLayer,
                latentAvg: Tensor, averageImage: Tensor) throws
    {
        let (d, side) = (design.width, design.trunk.inputSize)
        guard latentAvg.shape == [d], averageImage.shape == [1, 3, side, side] else {
            throw TorchError("CLCAEEncoder: latent_avg must be [\(d)] and the average image [1, 3, \(side), \(side)], "
                + "got \(latentAvg.shape) and \(averageImage.shape)")
        }
        encoder = try CLCAE.GradualStyleEncoder(forImage: false, styleCount: styleCount, design: design)
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
    public convenience init(generator: LoadedGenerator, design: CLCAE.Design = .released,
                            featureLayer: Int = FeatureStyleEncoder.featureLayer) throws
    {
        try self.init(styleCount: generator.generator.nLatent, design: design, featureLayer: featureLayer,
                      latentAvg: generator.latentAvg.reshape([-1]).to(device: .cpu),
                      averageImage: Self.averageImage(of: generator, side: design.trunk.inputSize).to(device: .cpu))
    }

    /// x_avg = G(latent_avg) with the generator's fixed noise, average-pooled to side x side (256) as CLCAE's
    /// `face_pool`: [1, 3, side, side] on the device of `latentAvg`.
    public static func averageImage(of loaded: LoadedGenerator, side: Int = 256) throws -> Tensor {
        let g = loaded.generator
        return try withNoGrad {
            let w = try loaded.latentAvg.reshape([1, 1, g.config.styleDim])
            return try renderFacePooled(w.expand([1, g.nLatent, g.config.styleDim]), generator: g, side: side)
        }
    }

    /// Images [N, 3, 256, 256] in [-1, 1] -> w+ [N, L, 512] with `latent_avg` in, and the feature for layer
    /// `featureLayer` with blend 1 (the inference script's `feature_scale`).
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly(["foundationCode"], for: method)
        return try output(from: encoder.offsets(centred(images, generator: generator)),
                          foundationCode: options.foundationCode ?? false)
    }

    public func settings(_ options: EncodingOptions) throws -> [String: String] {
        try options.expectOnly(["foundationCode"], for: method)
        return options.foundationCode == true ? ["output": "foundation code w"] : [:]
    }

    /// CLCAE's edit, as `inference_edit.py` runs it through `AFPSP.forward(edit_offset:)`: the offset moves the
    /// foundation code w before both cross attentions, so the encoder recomputes the w+ rows and the feature around
    /// the edited w; then the feature also moves by what the edit changes at layer K:
    ///
    ///     w+' = latent_offset(w + d) + w + d + latent_avg            (every row)
    ///     f'  = feature_offset(w + d) + G^K(w+') - G^K(w+)           (w+ = the unedited inversion)
    ///
    /// with G^K the generator's own layer-K output under its fixed noise. `offset` is d (a W direction times its
    /// strength): [512], [1 or N, 512], or w+ rows [1 or N, L, 512] that are all equal, since the edit moves the one
    /// foundation code (the reference reads row 0). A zero offset gives `encode`'s output. Returns w+' and f'
    /// (blend 1) on this encoder's device.
    public func edit(_ images: Tensor, offset: Tensor, generator: StyleGAN2Generator) throws -> EncoderOutput {
        let x = try centred(images, generator: generator)
        let d = try foundationOffset(offset)
        let edited = try encoder.offsets(x, editOffset: d)
        let wPlus = try output(from: edited).wPlus
        let original = try output(from: encoder.offsets(x)).wPlus
        let shift = try withNoGrad {
            let device = deviceOf(generator)
            return try generator.feature(atLayer: featureLayer, wPlus.to(device: device))
                - generator.feature(atLayer: featureLayer, original.to(device: device))
        }
        guard let offset = edited.featureOffset else { return EncoderOutput(wPlus: wPlus, feature: nil) }
        let feature = try offset + shift.to(device: wPlus.device, dtype: wPlus.dtype)
        return EncoderOutput(wPlus: wPlus, feature: FeatureInjection(layer: featureLayer, tensor: feature, blend: 1))
    }

    /// images - x_avg on this encoder's device, after checking the images and the generator's F space.
    private func centred(_ images: Tensor, generator: StyleGAN2Generator) throws -> Tensor {
        let design = encoder.design
        try FeatureStyleEncoder.checkFeatureSpace(of: generator, styleCount: encoder.styleCount, method: "CLCAE",
                                                  layer: featureLayer, styleDim: design.width,
                                                  channels: design.featureChannels, size: design.featureSize)
        try expectInput(images, ["N", 3, .size(inputSize), .size(inputSize)])
        return try images.to(device: deviceOf(self)) - averageImage
    }

    /// An edit offset as the change of w: [1 or N, D].
    private func foundationOffset(_ offset: Tensor) throws -> Tensor {
        let rows = encoder.styleCount, width = encoder.design.width
        switch offset.shape {
        case [width]:
            return try offset.unsqueeze(0)
        case let shape where shape.count == 2 && shape[1] == width:
            return offset
        case let shape where shape.count == 3 && shape[1] == rows && shape[2] == width:
            let first = try offset.select(1, 0)
            guard try offset.allClose(first.unsqueeze(1).expand(offset.shape), rtol: 0, atol: 0) else {
                throw TorchError("CLCAE edit: the offset's \(rows) rows differ, but the edit moves the one foundation "
                    + "code w; give a W direction [1, 512] (layer-range edits go through the F-space edit rule)")
            }
            return first
        default:
            throw TorchError("CLCAE edit: the offset must be [\(width)], [N, \(width)] or [N, \(rows), \(width)], got \(offset.shape)")
        }
    }

    /// w+ = latent_offset + (base_offset + latent_avg) on every row, and the feature offset as the layer-K
    /// feature with blend 1: how `AFPSP.forward` turns the network's outputs into the generator's inputs. With
    /// `foundationCode`, w = base_offset + latent_avg alone on every row and no feature.
    public func output(from offsets: CLCAE.GradualStyleEncoder.Offsets, foundationCode: Bool = false) throws -> EncoderOutput {
        let w = try offsets.baseOffset + latentAvg  // [N, D], the foundation code
        let rows = try w.unsqueeze(1).expand([w.size(0), encoder.styleCount, w.size(1)])  // [N, L, D]
        if foundationCode { return EncoderOutput(wPlus: rows) }
        let design = encoder.design
        // AFPSP renders w on every row when trained with --not_for_feature and --not_for_ww.
        let wPlus = try !design.forFeature && !design.forWW ? rows : offsets.latentOffset.squeeze(2) + w.unsqueeze(1)
        return EncoderOutput(wPlus: wPlus, feature: offsets.featureOffset.map {
            FeatureInjection(layer: featureLayer, tensor: $0, blend: 1)
        })
    }
}
