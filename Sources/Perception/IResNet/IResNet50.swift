import Torch

/// ArcFace iresnet50 (insightface arcface_torch, layers [3, 4, 14, 3]): the Feature-Style encoder's backbone and
/// the identity network of its ID loss, in the reference layout (`conv1`, `bn1`, `prelu`, `layer1`..`layer4`,
/// `bn2`, `fc`, `features`), so `backbone.pth` loads unchanged.
///
/// Built in eval mode and frozen: as a loss it passes gradients to the images it scores, never to itself.
public final class IResNet50: Module {
    /// Trainable elements in arcface_torch's r50 `backbone.pth` (running statistics not counted).
    public static let officialParameterCount = 43_590_848

    /// (width, blocks) of the four stages; each stage's first block halves the resolution.
    static let stages = [(64, 3), (128, 4), (256, 14), (512, 3)]

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let prelu: PReLU
    /// [N, 64, 112, 112] -> [N, 64, 56, 56]
    public let layer1: ModuleList<Block>
    /// -> [N, 128, 28, 28]
    public let layer2: ModuleList<Block>
    /// -> [N, 256, 14, 14]
    public let layer3: ModuleList<Block>
    /// -> [N, 512, 7, 7]
    public let layer4: ModuleList<Block>
    public let bn2: BatchNorm2d
    /// p = 0, as arcface_torch and the Feature-Style encoder build it.
    public let dropout: Dropout
    /// 512*7*7 -> 512
    public let fc: Linear
    /// Batch norm of the embedding.
    public let features: BatchNorm1d

    /// Random weights until `load`ed; placed on `device`.
    public init(device: Device = .cpu) throws {
        conv1 = try Conv2d(3, 64, kernelSize: 3, padding: 1, bias: false)
        bn1 = try BatchNorm2d(64)
        prelu = try PReLU(numParameters: 64)
        var layers: [ModuleList<Block>] = []
        var inChannels = 64
        for (width, blocks) in Self.stages {
            let layer = try ModuleList<Block>()
            try layer.append(Block(inChannels, width, stride: 2))
            for _ in 1..<blocks { try layer.append(Block(width, width, stride: 1)) }
            layers.append(layer)
            inChannels = width
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3])
        bn2 = try BatchNorm2d(512)
        dropout = try Dropout(p: 0)
        fc = try Linear(512 * 7 * 7, 512)
        features = try BatchNorm1d(512)
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "bn1", bn1)
        try register(module: "prelu", prelu)
        try register(module: "layer1", layer1)
        try register(module: "layer2", layer2)
        try register(module: "layer3", layer3)
        try register(module: "layer4", layer4)
        try register(module: "bn2", bn2)
        try register(module: "dropout", dropout)
        try register(module: "fc", fc)
        try register(module: "features", features)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Reads arcface_torch's `backbone.pth` (or the same keys in safetensors, or under `module.`).
    public static func load(from path: String, device: Device = .cpu) throws -> IResNet50 {
        try FaceNetworkWeights.load(IResNet50(device: device), from: path, name: "iresnet50")
    }

    /// The 512-d identity embedding, not normalised (cosine similarity does that): [N, 3, 112, 112] -> [N, 512].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try multiLayerFeatures(x).embedding
    }

    /// Every stage's output and the embedding from one pass, as `forward(x, return_features=True)`.
    public func multiLayerFeatures(_ x: Tensor) throws -> MultiLayerFeatures {
        try expectInput(x, ["N", 3, 112, 112])
        var h = try prelu(bn1(conv1(x)))
        var stageOutputs: [Tensor] = []
        for layer in [layer1, layer2, layer3, layer4] {
            h = try layer.reduce(h) { try $1($0) }
            stageOutputs.append(h)
        }
        let embedding = try features(fc(dropout(bn2(h).flatten(from: 1))))
        return MultiLayerFeatures(layer1: stageOutputs[0], layer2: stageOutputs[1], layer3: stageOutputs[2],
                                  layer4: stageOutputs[3], embedding: embedding)
    }
}

extension IResNet50 {
    /// What the Feature-Style encoder's multi-layer ID loss compares.
    public struct MultiLayerFeatures {
        /// [N, 64, 56, 56]
        public let layer1: Tensor
        /// [N, 128, 28, 28]
        public let layer2: Tensor
        /// [N, 256, 14, 14]
        public let layer3: Tensor
        /// [N, 512, 7, 7]
        public let layer4: Tensor
        /// [N, 512], not normalised.
        public let embedding: Tensor

        /// The five in the reference's order, each flattened to [N, -1], as the loss takes them.
        public func flattened() throws -> [Tensor] {
            try [layer1, layer2, layer3, layer4, embedding].map { try $0.flatten(from: 1) }
        }
    }
}
