import StyleGAN
import Torch

/// The F-space edit rule of the Feature-Style encoder and CLCAE: an inversion's feature f at layer K carries
/// the detail w+ misses, so when an edit moves w to w' the feature moves by what the edit changes at layer K:
///
///     f' = f + G^K(w') - G^K(w)
///
/// with G^K the generator's own layer-K output (constant noise, as inversions are rendered). w' = w gives f.
public enum FeatureEdit {
    /// f [C, H, W] of layer K, w and w' [L, D] -> f' [C, H, W], on f's device.
    public static func apply(_ feature: Tensor, layer k: Int, from wPlus: Tensor, to edited: Tensor,
                             generator g: StyleGAN2Generator) throws -> Tensor
    {
        guard wPlus.shape == edited.shape else {
            throw TorchError("F-space edit: w+ \(wPlus.shape) and edited w+ \(edited.shape) differ in shape")
        }
        return try withInferenceMode {
            let before = try g.feature(atLayer: k, wPlus.unsqueeze(0)).squeeze(0)
            let after = try g.feature(atLayer: k, edited.to(device: wPlus.device).unsqueeze(0)).squeeze(0)
            guard before.shape == feature.shape else {
                throw TorchError("F-space edit: the feature is \(feature.shape), layer \(k) gives \(before.shape)")
            }
            return try feature + (after - before).to(device: feature.device, dtype: feature.dtype)
        }
    }
}
