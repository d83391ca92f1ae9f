import Torch

/// ArcFace IR-SE50, the face-identity network behind the ID losses of pSp, e4e, ReStyle, HyperStyle, E2Style and
/// CLCAE, in the layout of TreB1eN's `Backbone(112, 50, "ir_se")` (`input_layer`, `body.N`, `output_layer`), so
/// `model_ir_se50.pth` loads unchanged.
///
/// Built in eval mode and frozen: as a loss it passes gradients to the images it scores, never to itself.
public final class IRSE50: Module {
    /// Trainable elements in `model_ir_se50.pth` (running statistics not counted).
    public static let officialParameterCount = 43_797_696

    /// (input channels, depth, units) of the four stages; each stage's first unit halves the resolution.
    static let stages = [(64, 64, 3), (64, 128, 4), (128, 256, 14), (256, 512, 3)]

    /// 3x3 conv, batch norm, PReLU: [N, 3, 112, 112] -> [N, 64, 112, 112].
    public let input_layer: Sequential
    /// The 24 residual units; stages end after units 2, 6, 20 and 23 (56, 28, 14 and 7 pixels).
    public let body: ModuleList<Unit>
    /// Batch norm, dropout (inactive in eval), flatten, linear 512*7*7 -> 512, batch norm.
    public let output_layer: Sequential

    /// Random weights until `load`ed; placed on `device`.
    public init(device: Device = .cpu) throws {
        input_layer = try Sequential(
            Conv2d(3, 64, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(64), PReLU(numParameters: 64))
        body = try ModuleList()
        for (inChannels, depth, units) in Self.stages {
            try body.append(Unit(inChannels, depth, stride: 2))
            for _ in 1..<units { try body.append(Unit(depth, depth, stride: 1)) }
        }
        // pSp's IDLoss builds the net with drop_ratio 0.6; eval mode never applies it.
        output_layer = try Sequential(
            BatchNorm2d(512), Dropout(p: 0.6), Flatten(), Linear(512 * 7 * 7, 512), BatchNorm1d(512))
        super.init()
        // The reference's registration order, so `stateDict()` lists keys as the official file does.
        try register(module: "input_layer", input_layer)
        try register(module: "output_layer", output_layer)
        try register(module: "body", body)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Reads `model_ir_se50.pth` (or the same keys in safetensors, or under `module.`).
    public static func load(from path: String, device: Device = .cpu) throws -> IRSE50 {
        try FaceNetworkWeights.load(IRSE50(device: device), from: path, name: "IR-SE50")
    }

    /// The identity embedding, L2-normalised as pSp's `l2_norm` (x / ||x||): [N, 3, 112, 112] -> [N, 512].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let embedding = try multiLayerFeatures(x).embedding
        return try embedding / embedding.norm(2, dims: [1], keepdim: true)
    }

    /// What E2Style's multi-layer ID loss compares, from one pass: [N, 3, 112, 112] in, the stage outputs and the
    /// embedding out.
    public func multiLayerFeatures(_ x: Tensor) throws -> MultiLayerFeatures {
        try expectInput(x, ["N", 3, 112, 112])
        var h = try input_layer(x)
        var stageOutputs: [Tensor] = []
        var unitIndex = 0
        for (_, _, units) in Self.stages {
            for _ in 0..<units {
                h = try body[unitIndex](h)
                unitIndex += 1
            }
            stageOutputs.append(h)
        }
        return MultiLayerFeatures(body2: stageOutputs[0], body6: stageOutputs[1], body20: stageOutputs[2],
                                  body23: stageOutputs[3], embedding: try output_layer(h))
    }
}

extension IRSE50 {
    /// Outputs of the last unit of each stage and the embedding, as E2Style's `Backbone.forward` returns them.
    public struct MultiLayerFeatures {
        /// Output of body unit 2 (zero-based): [N, 64, 56, 56].
        public let body2: Tensor
        /// Output of body unit 6: [N, 128, 28, 28].
        public let body6: Tensor
        /// Output of body unit 20: [N, 256, 14, 14].
        public let body20: Tensor
        /// Output of body unit 23: [N, 512, 7, 7].
        public let body23: Tensor
        /// `output_layer`'s output before normalisation: [N, 512].
        public let embedding: Tensor

        /// The five as E2Style's loss takes them, each flattened to [N, -1].
        public func flattened() throws -> [Tensor] {
            try [body2, body6, body20, body23, embedding].map { try $0.flatten(from: 1) }
        }
    }
}
