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
    /// (width, blocks) of the four iResNet-50 stages; each stage's first block halves the resolution.
    static let stages = [(64, 3), (128, 4), (256, 14), (512, 3)]
    /// Channels of the four stages, concatenated before pooling: 64 + 128 + 256 + 512.
    static let pooledChannels = 960
    /// The reference trainer's `idx_k`: the feature replaces the output of `convs[3]` (512x16x16).
    public static let featureLayer = 5

    /// `InversionEncoder.method` of this encoder, as files and the CLI name it.
    public static let methodName = "fs"
    public let method = FeatureStyleEncoder.methodName
    public let inputSize = 256
    public let styleCount: Int

    /// 3x3 conv, batch norm, PReLU: [N, 3, 256, 256] -> [N, 64, 256, 256] (iResNet's `conv1`, `bn1`, `prelu`).
    public let conv: Sequential
    /// iResNet-50's `layer1`..`layer4`: -> [N, 64, 128, 128], [N, 128, 64, 64], [N, 256, 32, 32], [N, 512, 16, 16].
    public let block_1: ModuleList<IResNet50.Block>
    public let block_2: ModuleList<IResNet50.Block>
    public let block_3: ModuleList<IResNet50.Block>
    public let block_4: ModuleList<IResNet50.Block>
    /// On `block_3`'s output: batch norm, conv 256 -> 512, batch norm, PReLU, conv with stride 2, batch norm:
    /// [N, 256, 32, 32] -> [N, 512, 16, 16].
    public let content_layer: Sequential
    /// One linear 8640 -> 512 per w+ row.
    public let styles: ModuleList<Linear>
    /// The generator's average w [512], added to the codes as the reference trainer's `encode` does.
    public let latentAvg: Tensor

    /// Random weights until loaded; `latentAvg` [512] is the generator's `latent_avg`.
    public init(styleCount: Int = 18, latentAvg: Tensor) throws {
        guard latentAvg.shape == [512] else {
            throw TorchError("FeatureStyleEncoder: latent_avg must be [512], got \(latentAvg.shape)")
        }
        self.styleCount = styleCount
        self.latentAvg = latentAvg
        conv = try Sequential(Conv2d(3, 64, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(64),
                              PReLU(numParameters: 64))
        var blocks: [ModuleList<IResNet50.Block>] = []
        var inChannels = 64
        for (width, count) in Self.stages {
            let stage = try ModuleList<IResNet50.Block>()
            try stage.append(IResNet50.Block(inChannels, width, stride: 2))
            for _ in 1..<count { try stage.append(IResNet50.Block(width, width, stride: 1)) }
            blocks.append(stage)
            inChannels = width
        }
        (block_1, block_2, block_3, block_4) = (blocks[0], blocks[1], blocks[2], blocks[3])
        content_layer = try Sequential(
            BatchNorm2d(256), Conv2d(256, 512, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(512),
            PReLU(numParameters: 512), Conv2d(512, 512, kernelSize: 3, stride: 2, padding: 1, bias: false),
            BatchNorm2d(512))
        styles = try ModuleList((0..<styleCount).map { _ in try Linear(Self.pooledChannels * 9, 512) })
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

    /// The reference `forward`: codes before `latent_avg` [N, styleCount, 512] and the feature [N, 512, 16, 16]
    /// for images [N, 3, 256, 256] in [-1, 1].
    public func codesAndFeature(_ x: Tensor) throws -> (codes: Tensor, feature: Tensor) {
        try expectInput(x, ["N", 3, 256, 256])
        func run(_ stage: ModuleList<IResNet50.Block>, _ x: Tensor) throws -> Tensor {
            try stage.reduce(x) { try $1($0) }
        }
        let stage1 = try run(block_1, conv(x))
        let stage2 = try run(block_2, stage1)
        let stage3 = try run(block_3, stage2)
        let stage4 = try run(block_4, stage3)
        // Channel-major flatten of [N, 960, 3, 3], as the reference's `view(N, -1)` after `cat(dim=1)`.
        let pooled = try [stage1, stage2, stage3, stage4].map { try F.adaptiveAvgPool2d($0, (3, 3)) }
        let features = try Tensor.cat(pooled, dim: 1).flatten(from: 1)
        let codes = try Tensor.stack(styles.map { try $0(features) }, dim: 1)
        return (codes, try content_layer(stage3))
    }

    /// The size the reference resizes every input to before its encoder halves it: the output size of the
    /// generator it was trained for (the config's `resolution`, 1024 for 18 styles), and never below the
    /// encoder's own 256 (generators smaller than that have no published configuration).
    public var imageSize: Int { Swift.max(inputSize, 1 << (styleCount / 2 + 1)) }

    /// The official `test.py`'s input path: images of any size resized to imageSize x imageSize as its
    /// torchvision `Resize((1024, 1024))` does (bilinear, antialiased when shrinking), then halved to 256 with
    /// bilinear resampling (align_corners false), as the trainer's `encode` does with `downscale` -> [N, 3, 256, 256].
    /// A 256 image is thus enlarged and halved back, as the reference does.
    public func prepareInput(_ images: Tensor) throws -> Tensor {
        try halved(resizeAsTorchvision(images, height: imageSize, width: imageSize, for: method))
    }

    /// Square images of 256 * 2^k halved k times (the trainer's `downscale`: `interpolate(scale_factor=0.5,
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
    /// Images larger than 256 (256 * 2^k) are halved k times first, as the reference trainer's `encode` brings its
    /// 1024 inputs to the encoder's 256 (`prepareInput` gives 256 images from any size).
    public func encode(_ images: Tensor, generator: StyleGAN2Generator, options: EncodingOptions) throws -> EncoderOutput {
        try options.expectOnly([], for: method)
        try Self.checkFeatureSpace(of: generator, styleCount: styleCount, method: "Feature-Style")
        let (codes, feature) = try codesAndFeature(halved(images.to(device: deviceOf(self))))
        return EncoderOutput(wPlus: try codes + latentAvg.to(dtype: codes.dtype),
                             feature: FeatureInjection(layer: Self.featureLayer, tensor: feature, blend: 1))
    }

    /// Throws unless `generator` reads `styleCount` w+ rows of 512 and its layer 5 is 512x16x16, the space the
    /// Feature-Style encoder and CLCAE write into.
    static func checkFeatureSpace(of generator: StyleGAN2Generator, styleCount: Int, method: String,
                                  layer: Int = featureLayer) throws
    {
        let config = generator.config
        guard generator.nLatent == styleCount, config.styleDim == 512, (1..<generator.numLayers).contains(layer),
              generator.channels(ofLayer: layer) == 512, generator.resolution(ofLayer: layer) == 16
        else {
            throw TorchError("\(method) encoder writes \(styleCount) w+ rows of 512 and a 512x16x16 feature at "
                + "layer \(layer); the \(config.size) generator reads \(generator.nLatent) rows of \(config.styleDim)")
        }
    }
}
