import StyleGAN
import Torch

/// What an encoder returns for images [N, 3, H, W] in [-1, 1]: w+ codes with `latent_avg` already added, and
/// for F-space encoders (Feature-Style, CLCAE) the layer-K feature with its blend factor.
public struct EncoderOutput {
    /// [N, L, D]
    public var wPlus: Tensor
    /// [N, C, R, R] replacing layer K (see `StyleGAN2Generator`), blended with factor `blend`.
    public var feature: FeatureInjection?

    public init(wPlus: Tensor, feature: FeatureInjection? = nil) {
        self.wPlus = wPlus
        self.feature = feature
    }
}

/// An image-to-latent encoder of one of the published methods, ready to invert images for a generator.
///
/// Iterative methods (ReStyle, E2Style's refinement stages) need the generator to render their current
/// reconstruction, so `encode` receives it.
public protocol InversionEncoder: AnyObject {
    /// Method name as the CLI spells it ("psp", "e4e", "restyle-psp", "restyle-e4e", "fs", "clcae", "e2style").
    var method: String { get }
    /// Input resolution the encoder expects (256 for all published checkpoints).
    var inputSize: Int { get }
    /// Images [N, 3, H, W] in [-1, 1] of any size -> the images `encode` takes, resampled as the method's official
    /// inference prepares its inputs. By default an antialiased bilinear resize to inputSize x inputSize (the
    /// torchvision `Resize((256, 256))` of pSp, e4e, ReStyle, E2Style and CLCAE); Feature-Style overrides it.
    func prepareInput(_ images: Tensor) throws -> Tensor
    func encode(_ images: Tensor, generator: StyleGAN2Generator) throws -> EncoderOutput
}
