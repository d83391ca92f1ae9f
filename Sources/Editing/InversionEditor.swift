import StyleGAN
import Torch

/// Edits one inversion through the generator it was made with.
///
/// The generator file's SHA-256 must be the inversion's, as for rendering. Inversions of generator-tuning
/// methods (PTI, GANI) are edited and rendered with their tuned weights, and so are their G^K terms; inversions
/// that carry a feature have it moved by the F-space rule (`FeatureEdit`) whenever w+ changes.
public struct InversionEditor {
    public let inversion: InversionFile
    /// The generator with the inversion's deltas applied, on `device`.
    public let generator: StyleGAN2Generator
    public let device: Device

    public init(_ loaded: LoadedGenerator, inversion: InversionFile, generatorSHA256 sha256: String,
                device: Device = .cpu) throws
    {
        guard inversion.metadata.generatorSHA256 == sha256 else {
            throw TorchError("this inversion was made with another generator (SHA-256 "
                + "\(inversion.metadata.generatorSHA256.prefix(12))…, this one is \(sha256.prefix(12))…); "
                + "edit it with the generator it was made with")
        }
        let g = loaded.generator
        guard inversion.wPlus.shape == [g.nLatent, g.config.styleDim] else {
            throw TorchError("w_plus is \(inversion.wPlus.shape), this generator takes [\(g.nLatent), \(g.config.styleDim)]")
        }
        self.inversion = inversion
        generator = try inversion.deltas.map { try g.applying($0.kind, $0.tensors) } ?? g
        self.device = device
    }

    /// [L, D] on `device`.
    public var wPlus: Tensor { get throws { try inversion.wPlus.to(device: device, dtype: .float32) } }

    /// The inversion (or `base`, an inversion of the same generator such as an interpolation frame) with w+ replaced
    /// by `edited` [L, D] and its feature, if any, moved to match.
    public func edited(_ edited: Tensor, base: InversionFile? = nil) throws -> InversionFile {
        let base = base ?? inversion
        let w = try base.wPlus.to(device: device, dtype: .float32)
        guard edited.shape == w.shape else { throw TorchError("edited w+ is \(edited.shape), expected \(w.shape)") }
        guard try edited.isfinite().all().item() != 0 else { throw TorchError("edited w+ contains NaN or infinity") }
        var result = base
        result.wPlus = try edited.to(device: .cpu, dtype: .float32)
        if let f = base.feature {
            let moved = try FeatureEdit.apply(f.tensor.to(device: device, dtype: .float32), layer: f.layer, from: w,
                                              to: edited.to(device: device, dtype: .float32), generator: generator)
            result.feature = (f.layer, try moved.to(device: .cpu), f.blend)
        }
        return result
    }

    /// The image [1, 3, S, S] of an inversion edited from this one, rendered one at a time exactly as
    /// `LoadedGenerator.render` does (with the inversion's own noise maps when it has them), so an unedited
    /// inversion gives the same pixels.
    public func render(_ file: InversionFile) throws -> Tensor {
        let wPlus = try file.wPlus.unsqueeze(0).to(device: device)
        let feature = try file.feature.map {
            FeatureInjection(layer: $0.layer, tensor: try $0.tensor.unsqueeze(0).to(device: device), blend: $0.blend)
        }
        let noise = try file.noiseMaps.map { NoiseMode.explicit(try $0.map { try $0.to(device: device) }) } ?? .const
        return try withInferenceMode { try generator.synthesis(wPlus, noise: noise, feature: feature).to(device: .cpu) }
    }
}
