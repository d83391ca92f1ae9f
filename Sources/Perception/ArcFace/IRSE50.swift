import Checkpoints
import Foundation
import Torch

/// ArcFace IR-SE50, the face-identity network behind the ID losses of pSp, e4e, ReStyle, HyperStyle, E2Style and
/// CLCAE, in the layout of TreB1eN's `Backbone(112, 50, "ir_se")` (`input_layer`, `body.N`, `output_layer`), so
/// `model_ir_se50.pth` loads unchanged.
///
/// Built in eval mode and frozen: as a loss it passes gradients to the images it scores, never to itself. Other
/// widths and depths (`Configuration`) keep the layout; the testbed's identity network is one.
public final class IRSE50: Module {
    /// Trainable elements in `model_ir_se50.pth` (running statistics not counted).
    public static let officialParameterCount = 43_797_696

    public let configuration: Configuration
    /// 3x3 conv, batch norm, PReLU: [N, 3, 112, 112] -> [N, 64, 112, 112] (official sizes).
    public let input_layer: Sequential
    /// The residual units; official stages end after units 2, 6, 20 and 23 (56, 28, 14 and 7 pixels).
    public let body: ModuleList<Unit>
    /// Batch norm, dropout (active only in training mode), flatten, linear 512*7*7 -> 512, batch norm.
    public let output_layer: Sequential

    /// Random weights until `load`ed; placed on `device`.
    public init(_ configuration: Configuration = .official, device: Device = .cpu) throws {
        try configuration.validate()
        self.configuration = configuration
        let stem = configuration.stem
        input_layer = try Sequential(
            Conv2d(3, stem, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(stem), PReLU(numParameters: stem))
        body = try ModuleList()
        var inChannels = stem
        for stage in configuration.stages {
            try body.append(Unit(inChannels, stage.depth, stride: 2, seReduction: configuration.seReduction))
            for _ in 1..<stage.units {
                try body.append(Unit(stage.depth, stage.depth, stride: 1, seReduction: configuration.seReduction))
            }
            inChannels = stage.depth
        }
        // pSp's IDLoss builds the net with drop_ratio 0.6; eval mode never applies it.
        let depth = configuration.finalDepth, side = configuration.featureSize
        output_layer = try Sequential(
            BatchNorm2d(depth), Dropout(p: configuration.dropRatio), Flatten(),
            Linear(depth * side * side, configuration.embeddingSize), BatchNorm1d(configuration.embeddingSize))
        super.init()
        // The reference's registration order, so `stateDict()` lists keys as the official file does.
        try register(module: "input_layer", input_layer)
        try register(module: "output_layer", output_layer)
        try register(module: "body", body)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Reads `model_ir_se50.pth` (or the same keys in safetensors, or under `module.`). A safetensors file whose
    /// metadata records a `Configuration` (the testbed's networks) builds that network; any other is IR-SE50.
    public static func load(from path: String, device: Device = .cpu) throws -> IRSE50 {
        var configuration = Configuration.official
        if path.lowercased().hasSuffix(".safetensors"), FileManager.default.fileExists(atPath: path) {
            do {
                configuration = try Configuration.recorded(in: Safetensors.read(path).metadata) ?? .official
            } catch let error as CheckpointError {
                throw error.naming(path)
            } catch {
                throw CheckpointError.invalid(file: path, message: "unreadable IR-SE configuration: \(error)")
            }
        }
        return try FaceNetworkWeights.load(IRSE50(configuration, device: device), from: path, name: "IR-SE50")
    }

    /// The identity embedding, L2-normalised as pSp's `l2_norm` (x / ||x||): [N, 3, 112, 112] -> [N, 512].
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let embedding = try multiLayerFeatures(x).embedding
        return try embedding / embedding.norm(2, dims: [1], keepdim: true)
    }

    /// What E2Style's multi-layer ID loss compares, from one pass: [N, 3, 112, 112] in, the stage outputs and the
    /// embedding out.
    public func multiLayerFeatures(_ x: Tensor) throws -> MultiLayerFeatures {
        let side = configuration.inputSize
        try expectInput(x, ["N", 3, .size(side), .size(side)])
        var h = try input_layer(x)
        var stageOutputs: [Tensor] = []
        var unitIndex = 0
        for stage in configuration.stages {
            for _ in 0..<stage.units {
                h = try body[unitIndex](h)
                unitIndex += 1
            }
            stageOutputs.append(h)
        }
        return MultiLayerFeatures(stages: stageOutputs, embedding: try output_layer(h))
    }
}

extension IRSE50 {
    /// Outputs of the last unit of each stage and the embedding, as E2Style's `Backbone.forward` returns them.
    /// The named stages are the official network's; a configuration of other depths names its stages in order.
    public struct MultiLayerFeatures {
        /// The output of each stage's last unit, in order.
        public let stages: [Tensor]
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

        init(stages: [Tensor], embedding: Tensor) {
            self.stages = stages
            // Fewer than four stages (small configurations) repeat the last in the official names.
            func stage(_ i: Int) -> Tensor { stages[Swift.min(i, stages.count - 1)] }
            (body2, body6, body20, body23) = (stage(0), stage(1), stage(2), stage(3))
            self.embedding = embedding
        }

        /// The stage outputs and the embedding as E2Style's loss takes them, each flattened to [N, -1].
        public func flattened() throws -> [Tensor] {
            try (stages + [embedding]).map { try $0.flatten(from: 1) }
        }
    }
}
