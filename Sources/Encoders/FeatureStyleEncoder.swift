import Perception
import StyleGAN
import Torch

/// The Feature-Style encoder (InterDigital, `fs_encoder_v2` with `fs_stride` 2): an ArcFace iResNet-50 trunk whose
/// four stage outputs, average-pooled to 3x3 and concatenated, feed one linear per w+ row, and whose third stage
/// also yields the F-space feature that replaces layer K = 5 of the generator.
///
/// Module names are the reference's attributes (`conv`, `block_1`...`block_4`, `content_layer`, `styles`), so the
/// published `143_enc.pth` loads unchanged. Built in eval mode and frozen: it is used to invert, never trained here.
public final class FeatureStyleEncoder: Module, InversionEncoder {
    /// Trainable elements of the published 18-style encoder (running statistics not counted): the iResNet-50
    /// trunk without its head, the feature branch and 18 linears 8640 -> 512.
    public static let officialParameterCount = 113_920_704
    /// The reference trainer's `idx_k`: the feature replaces the output of `convs[3]` (512x16x16 in a 1024 generator).
    public static let featureLayer = 5

    /// `InversionEncoder.method` of this encoder, as files and the CLI name it.
    public static let methodName = "fs"
    public let method = FeatureStyleEncoder.methodName
    public let configuration: Configuration
    public var inputSize: Int { configuration.inputSize }
    public var networks: [Module] { [self] }
    public let styleCount: Int

    /// 3x3 conv, batch norm, PReLU: [N, 3, S, S] -> [N, stem, S, S] (iResNet's `conv1`, `bn1`, `prelu`).
    public let conv: Sequential
    /// iResNet's `layer1`..`layer4`, each halving: official [N, 64, 128, 128], [N, 128, 64, 64], [N, 256, 32, 32],
    /// [N, 512, 16, 16].
    public let block_1: ModuleList<IResNet50.Block>
    public let block_2: ModuleList<IResNet50.Block>
    public let block_3: ModuleList<IResNet50.Block>
    public let block_4: ModuleList<IResNet50.Block>
    /// On `block_3`'s output: batch norm, 3x3 conv to the feature's channels, batch norm, PReLU, 3x3 conv with
    /// `fs_stride`, batch norm: official [N, 256, 32, 32] -> [N, 512, 16, 16].
    public let content_layer: Sequential
    /// One linear (pooled channels x 9) -> style dimension per w+ row.
    public let styles: ModuleList<Linear>
    /// The generator's average w [D], added to the codes as the reference trainer's `encode` does.
    public let latentAvg: Tensor

    /// Random weights until loaded, in eval mode and frozen (inversion); a trainer unfreezes it. `latentAvg` [D] is
    /// the generator's `latent_avg`.
    public init(styleCount: Int = 18, configuration: Configuration = .official, latentAvg: Tensor) throws {
        try configuration.validate()
        guard latentAvg.shape == [configuration.styleDim] else {
            throw TorchError("FeatureStyleEncoder: latent_avg must be [\(configuration.styleDim)], got \(latentAvg.shape)")
        }
        self.styleCount = styleCount
        self.configuration = configuration
        self.latentAvg = latentAvg
        let c = configuration
        conv = try Sequential(Conv2d(3, c.stem, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(c.stem),
                              PReLU(numParameters: c.stem))
        var blocks: [ModuleList<IResNet50.Block>] = []
        var inChannels = c.stem
        for (width, count) in zip(c.stages, c.blocks) {
            let stage = try ModuleList<IResNet50.Block>()
            try stage.append(IResNet50.Block(inChannels, width, stride: 2))
            for _ in 1..<count { try stage.append(IResNet50.Block(width, width, stride: 1)) }
            blocks.append(stage)
            inChannels = width
        }
        (block_1, block_2, block_3, block_4) = (blocks[0], blocks[1], blocks[2], blocks[3])
        let f = c.featureChannels
        content_layer = try Sequential(
            BatchNorm2d(c.stages[2]), Conv2d(c.stages[2], f, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(f),
            PReLU(numParameters: f), Conv2d(f, f, kernelSize: 3, stride: Size2(c.featureStride), padding: 1, bias: false),
            BatchNorm2d(f))
        styles = try ModuleList((0..<styleCount).map { _ in try Linear(c.pooledChannels * 9, c.styleDim) })
        super.init()
        try register(module: "conv", conv)
        try register(module: "block_1", block_1)
        try register(module: "block_2", block_2)
        try register(module: "block_3", block_3)
        try register(module: "block_4", block_4)
        try register(module: "content_layer", content_layer)
        try register(module: "styles", styles)
        // Not in the encoder's state dict (it comes from the generator file), but it moves with the module.
        try register(buffer: "latent_avg", latentAvg, persistent: false)
        eval()
        try freeze()
    }

    /// The reference `forward`: codes before `latent_avg` [N, styleCount, D] and the feature [N, F, R, R] (official
    /// [N, 512, 16, 16]) for images [N, 3, S, S] in [-1, 1], S the input size.
    public func codesAndFeature(_ x: Tensor) throws -> (codes: Tensor, feature: Tensor) {
        try expectInput(x, ["N", 3, .size(inputSize), .size(inputSize)])
        func run(_ stage: ModuleList<IResNet50.Block>, _ x: Tensor) throws -> Tensor {
            try stage.reduce(x) { try $1($0) }
        }
        let stage1 = try run(block_1, conv(x))
        let stage2 = try run(block_2, stage1)
        let stage3 = try run(block_3, stage2)
        let stage4 = try run(block_4, stage3)
        // Channel-major flatten of [N, 960, 3, 3] (official), as the reference's `view(N, -1)` after `cat(dim=1)`.
        let pooled = try [stage1, stage2, stage3, stage4].map { try F.adaptiveAvgPool2d($0, (3, 3)) }
        let features = try Tensor.cat(pooled, dim: 1).flatten(from: 1)
        let codes = try Tensor.stack(styles.map { try $0(features) }, dim: 1)
        return (codes, try content_layer(stage3))
    }

    /// The size the reference resizes every input to before its encoder halves it: the output size of the
    /// generator it was trained for (the config's `resolution`, 1024 for 18 styles), and never below the
    /// encoder's own input size (a smaller generator's images are enlarged to it).
    public var imageSize: Int { Swift.max(inputSize, 1 << (styleCount / 2 + 1)) }

    /// The official `test.py`'s input path: images of any size resized to imageSize x imageSize as its
    /// torchvision `Resize((1024, 1024))` does (bilinear, antialiased when shrinking), then halved to the input size
    /// with bilinear resampling (align_corners false), as the trainer's `encode` does with `downscale` -> [N, 3, S, S].
    /// A 256 image is thus enlarged and halved back, as the reference does.
    public func prepareInput(_ images: Tensor) throws -> Tensor {
        try halved(resizeAsTorchvision(images, height: imageSize, width: imageSize, for: method))
    }

    /// Square images of inputSize * 2^k halved k times (the trainer's `downscale`: `interpolate(scale_factor=0.5,
    /// mode="bilinear")`, which averages each 2x2 block); other images as they are.
    private func halved(_ images: Tensor) throws -> Tensor {
        var x = images
        while x.rank == 4, x.size(2) == x.size(3), x.size(2) > inputSize, x.size(2) % (2 * inputSize) == 0 {
            x = try F.interpolate(x, scale: (0.5, 0.5), mode: .bilinear, alignCorners: false)
        }
        return x
    }

    /// w+ = codes + latent_avg, and the feature replacing layer 5 with blend 1 (the reference's `feature_scale`
    /// min(1, 1e-4 * iteration) is 1 at test time).
    ///
    /// Images larger than the input size S (S * 2^k) are halved k times first, as the reference trainer's `encode`
    /// brings its 1024 inputs to the encoder's 256 (`prepareInput` gives S images from any size).
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly([], for: method)
        try checkFeatureSpace(of: generator)
        let (codes, feature) = try codesAndFeature(halved(images.to(device: deviceOf(self))))
        return EncoderOutput(wPlus: try codes + latentAvg.to(dtype: codes.dtype),
                             feature: FeatureInjection(layer: Self.featureLayer, tensor: feature, blend: 1))
    }

    /// Throws unless `generator` reads `styleCount` w+ rows of `styleDim` and its layer `layer` is
    /// channels x size x size (official: 512 and 512x16x16 at layer 5), the space the Feature-Style encoder and CLCAE
    /// write into.
    public static func checkFeatureSpace(of generator: StyleGAN2Generator, styleCount: Int, method: String,
                                  layer: Int = featureLayer, styleDim: Int = 512, channels: Int = 512, size: Int = 16)
        throws
    {
        let config = generator.config
        guard generator.nLatent == styleCount, config.styleDim == styleDim, (1..<generator.numLayers).contains(layer),
              generator.channels(ofLayer: layer) == channels, generator.resolution(ofLayer: layer) == size
        else {
            let theirs = (1..<generator.numLayers).contains(layer)
                ? "\(generator.channels(ofLayer: layer))x\(generator.resolution(ofLayer: layer))x"
                    + "\(generator.resolution(ofLayer: layer))" : "no such layer"
            throw TorchError("\(method) encoder writes \(styleCount) w+ rows of \(styleDim) and a \(channels)x\(size)x\(size) "
                + "feature at layer \(layer); the \(config.size) generator reads \(generator.nLatent) rows of "
                + "\(config.styleDim) and its layer \(layer) is \(theirs)")
        }
    }

    /// `checkFeatureSpace` for this encoder's configuration, its feature replacing `layer`.
    public func checkFeatureSpace(of generator: StyleGAN2Generator, layer: Int = featureLayer) throws {
        let c = configuration
        try Self.checkFeatureSpace(of: generator, styleCount: styleCount, method: "Feature-Style", layer: layer,
                                   styleDim: c.styleDim, channels: c.featureChannels, size: c.featureSize)
    }
}
