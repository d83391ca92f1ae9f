import Torch

/// E2Style's face parser, `unet(feature_scale=4, n_classes=19)` (pytorch-semseg's U-Net with widths
/// 16, 32, 64, 128, 256, batch norm, transposed-conv upsampling), in the reference layout (`conv1`..`conv4`,
/// `center`, `up_concat4`..`up_concat1`, `final`), so E2Style's parsing weights load unchanged.
///
/// E2Style's multi-layer parsing loss compares five encoder features by cosine similarity; `callAsFunction`
/// returns exactly those. Built in eval mode and frozen: as a loss it passes gradients to the images it scores,
/// never to itself.
public final class UNetFaceParser: Module {
    /// Trainable elements in E2Style's parsing weights (running statistics not counted).
    public static let officialParameterCount = 1_944_355

    public let classCount: Int
    public let config: Config
    public let conv1: DoubleConv
    public let conv2: DoubleConv
    public let conv3: DoubleConv
    public let conv4: DoubleConv
    public let center: DoubleConv
    public let up_concat4: Up
    public let up_concat3: Up
    public let up_concat2: Up
    public let up_concat1: Up
    /// 1x1 conv to class logits.
    public let final: Conv2d

    /// Random weights until `load`ed; placed on `device`; E2Style's widths unless `config` says otherwise.
    public init(config: Config = .official, classCount: Int = 19, device: Device = .cpu) throws {
        try config.validate()
        self.classCount = classCount
        self.config = config
        let w = config.widths
        conv1 = try DoubleConv(3, w[0])
        conv2 = try DoubleConv(w[0], w[1])
        conv3 = try DoubleConv(w[1], w[2])
        conv4 = try DoubleConv(w[2], w[3])
        center = try DoubleConv(w[3], w[4])
        up_concat4 = try Up(w[4], w[3])
        up_concat3 = try Up(w[3], w[2])
        up_concat2 = try Up(w[2], w[1])
        up_concat1 = try Up(w[1], w[0])
        final = try Conv2d(w[0], classCount, kernelSize: 1)
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "conv2", conv2)
        try register(module: "conv3", conv3)
        try register(module: "conv4", conv4)
        try register(module: "center", center)
        try register(module: "up_concat4", up_concat4)
        try register(module: "up_concat3", up_concat3)
        try register(module: "up_concat2", up_concat2)
        try register(module: "up_concat1", up_concat1)
        try register(module: "final", final)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Reads E2Style's parsing weights (or the same keys in safetensors, or under `module.`), or weights of other
    /// widths (the testbed's): the file's own widths unless `config` imposes some.
    public static func load(from path: String, config: Config? = nil, device: Device = .cpu) throws
        -> UNetFaceParser
    {
        try FaceNetworkWeights.load(from: path, name: "E2Style U-Net parser") { weights in
            try UNetFaceParser(config: config ?? Config(weights: weights) ?? .official, device: device)
        }
    }

    /// The five features E2Style's parsing loss compares, each flattened to [N, -1]: the four max-pooled encoder
    /// stages and the centre. x: [N, 3, H, W] in [-1, 1], H and W multiples of 16; at 256 (E2Style's size) the
    /// maps are 16x128x128, 32x64x64, 64x32x32, 128x16x16 and 256x16x16 with the official widths.
    public func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        try encoded(x).features.map { try $0.flatten(from: 1) }
    }

    /// Class logits [N, classes, H, W] for x [N, 3, H, W] in [-1, 1], H and W multiples of 16.
    public func logits(_ x: Tensor) throws -> Tensor {
        let (skips, _) = try encoded(x)
        var h = skips[4]
        for (up, skip) in zip([up_concat4, up_concat3, up_concat2, up_concat1], skips[0..<4].reversed()) {
            h = try up(skip, h)
        }
        return try final(h)
    }

    /// The full-resolution stage outputs conv1...conv4 and the centre (the decoder's inputs), and the features.
    private func encoded(_ x: Tensor) throws -> (skips: [Tensor], features: [Tensor]) {
        try expectInput(x, ["N", 3, "H", "W"])
        guard x.size(2) % 16 == 0, x.size(3) % 16 == 0 else {
            throw TorchError("UNetFaceParser: input height and width must be multiples of 16, got \(x.shape)")
        }
        var skips: [Tensor] = []
        var pooled: [Tensor] = []
        var h = x
        for stage in [conv1, conv2, conv3, conv4] {
            let out = try stage(h)
            skips.append(out)
            h = try F.maxPool2d(out, kernel: (2, 2))
            pooled.append(h)
        }
        let middle = try center(h)
        return (skips + [middle], pooled + [middle])
    }
}
