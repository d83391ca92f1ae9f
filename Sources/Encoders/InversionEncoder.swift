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
    /// Encodes with run-time settings; an encoder refuses settings that do not apply to it.
    func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput
    /// The settings a run with `options` uses, resolved against the checkpoint's own (for inversion records).
    func settings(_ options: EncodingOptions) throws -> [String: String]
    /// The networks holding its weights (for parameter counts).
    var networks: [Module] { get }
}

extension InversionEncoder {
    /// Encodes with the checkpoint's own settings.
    public func encode(_ images: Tensor, generator: StyleGAN2Generator) throws -> EncoderOutput {
        try encode(images, generator: generator, options: EncodingOptions())
    }

    /// Encoders without run-time settings accept only the empty options.
    public func settings(_ options: EncodingOptions) throws -> [String: String] {
        try options.expectOnly([], for: method)
        return [:]
    }
}

/// Run-time settings of the iterative encoders, as values: nil keeps the checkpoint's own.
public struct EncodingOptions: Codable, Equatable, Sendable {
    /// ReStyle's refinement iterations (the official `n_iters_per_batch`).
    public var iterations: Int?
    /// E2Style's stages to run, first stage included (the official `--stage`).
    public var stages: Int?
    /// CLCAE: render its foundation code w on every row, without the cross attentions' w+ offsets and the feature
    /// (CLCAE_w of its Table 2).
    public var foundationCode: Bool?

    public init(iterations: Int? = nil, stages: Int? = nil, foundationCode: Bool? = nil) {
        self.iterations = iterations
        self.stages = stages
        self.foundationCode = foundationCode
    }

    /// Refuses settings outside `allowed` ("iterations", "stages", "foundationCode") for `method`.
    public func expectOnly(_ allowed: Set<String>, for method: String) throws {
        if iterations != nil, !allowed.contains("iterations") {
            throw TorchError("\(method): iterations apply to ReStyle encoders only")
        }
        if stages != nil, !allowed.contains("stages") {
            throw TorchError("\(method): stages apply to E2Style encoders only")
        }
        if foundationCode != nil, !allowed.contains("foundationCode") {
            throw TorchError("\(method): the foundation code w applies to CLCAE encoders only")
        }
    }
}
