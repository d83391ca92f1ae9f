import Torch

/// CLCAE (Liu et al., CVPR 2023): an inversion encoder whose w+ codes and layer-5 feature are refined by cross
/// attention from a foundation code w, and the contrastive image/latent encoder pair that aligns w with images.
/// This namespace holds their building blocks, named as in KumapowerLIU/CLCAE so its checkpoints load unchanged.
public enum CLCAE {}

extension CLCAE {
    /// `GradualFeatureBlock`: stride-2 3x3 convs with leaky ReLU from `spatialIn` down to `spatialOut`:
    /// [N, in, Sin, Sin] -> [N, out, Sout, Sout].
    public final class GradualFeatureBlock: Module, Layer {
        public let convs: Sequential

        public init(_ inChannels: Int, _ outChannels: Int, spatialIn: Int, spatialOut: Int) throws {
            var layers: [any Layer] = []
            for i in 0..<abs(spatialIn.trailingZeroBitCount - spatialOut.trailingZeroBitCount) {
                layers.append(try Conv2d(i == 0 ? inChannels : outChannels, outChannels, kernelSize: 3, stride: 2,
                                         padding: 1))
                layers.append(LeakyReLU())
            }
            convs = try Sequential(layers)
            super.init()
            try register(module: "convs", convs)
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor { try convs(x) }
    }

    /// The reference's dropout in its attention blocks (attention weights, after the attention, inside and after the
    /// FFN); it acts in training mode only.
    public static let attentionDropout = 0.1

    /// DETR-style `CrossAttention`, post-norm: t = norm2(query + attn(query, memory, memory)), then
    /// norm3(t + FFN(t)) with a ReLU FFN. `norm1` is built (it is in the checkpoints) but unused, as in the
    /// reference. Sequence-first: query [L, N, E], memory [S, N, E] -> [L, N, E]. In training mode the reference's
    /// dropouts apply (`dropout` p on the attention weights, `dropout2` after the attention, `dropout` and `dropout3`
    /// in and after the FFN).
    public final class CrossAttention: Module {
        public let multihead_attn: MultiheadAttention
        public let linear1: Linear
        public let linear2: Linear
        public let norm1: LayerNorm
        public let norm2: LayerNorm
        public let norm3: LayerNorm
        let dropout: Dropout
        let dropout2: Dropout
        let dropout3: Dropout

        public init(dModel: Int = 512, heads: Int = 4, feedForward: Int = 1024, dropout p: Double = attentionDropout) throws {
            multihead_attn = try MultiheadAttention(embedDim: dModel, numHeads: heads, dropout: p)
            linear1 = try Linear(dModel, feedForward)
            linear2 = try Linear(feedForward, dModel)
            norm1 = try LayerNorm([dModel])
            norm2 = try LayerNorm([dModel])
            norm3 = try LayerNorm([dModel])
            (dropout, dropout2, dropout3) = (try Dropout(p: p), try Dropout(p: p), try Dropout(p: p))
            super.init()
            try register(module: "multihead_attn", multihead_attn)
            try register(module: "linear1", linear1)
            try register(module: "linear2", linear2)
            try register(module: "norm1", norm1)
            try register(module: "norm2", norm2)
            try register(module: "norm3", norm3)
            try register(module: "dropout", dropout)
            try register(module: "dropout2", dropout2)
            try register(module: "dropout3", dropout3)
        }

        public func callAsFunction(_ query: Tensor, _ memory: Tensor) throws -> Tensor {
            let attended = try multihead_attn(query, memory, memory, needWeights: false).output
            let t = try norm2(query + dropout2(attended))
            return try norm3(t + dropout3(linear2(dropout(linear1(t).relu()))))
        }
    }

    /// DETR-style `TransformerEncoderLayer`, post-norm, the positional embedding added to queries and keys only:
    /// s = norm1(x + attn(x + pos, x + pos, x)), then norm2(s + FFN(s)). Sequence-first [L, N, E]. In training mode
    /// the reference's dropouts apply (attention weights, `dropout1` after the attention, `dropout` and `dropout2` in
    /// and after the FFN).
    public final class TransformerEncoderLayer: Module {
        public let self_attn: MultiheadAttention
        public let linear1: Linear
        public let linear2: Linear
        public let norm1: LayerNorm
        public let norm2: LayerNorm
        let dropout: Dropout
        let dropout1: Dropout
        let dropout2: Dropout

        public init(dModel: Int = 512, heads: Int = 4, feedForward: Int = 1024, dropout p: Double = attentionDropout) throws {
            self_attn = try MultiheadAttention(embedDim: dModel, numHeads: heads, dropout: p)
            linear1 = try Linear(dModel, feedForward)
            linear2 = try Linear(feedForward, dModel)
            norm1 = try LayerNorm([dModel])
            norm2 = try LayerNorm([dModel])
            (dropout, dropout1, dropout2) = (try Dropout(p: p), try Dropout(p: p), try Dropout(p: p))
            super.init()
            try register(module: "self_attn", self_attn)
            try register(module: "linear1", linear1)
            try register(module: "linear2", linear2)
            try register(module: "norm1", norm1)
            try register(module: "norm2", norm2)
            try register(module: "dropout", dropout)
            try register(module: "dropout1", dropout1)
            try register(module: "dropout2", dropout2)
        }

        public func callAsFunction(_ x: Tensor, pos: Tensor) throws -> Tensor {
            let qk = try x + pos
            let s = try norm1(x + dropout1(self_attn(qk, qk, x, needWeights: false).output))
            return try norm2(s + dropout2(linear2(dropout(linear1(s).relu()))))
        }
    }

    /// The contrastive encoders' projection head (`Projection`): linear without bias, batch norm, ReLU, linear
    /// without bias: [N, n] -> [N, n].
    public final class Projection: Module, Layer {
        public let lin1: Linear
        public let bn: BatchNorm1d
        public let lin2: Linear

        public init(_ features: Int = 512) throws {
            lin1 = try Linear(features, features, bias: false)
            bn = try BatchNorm1d(features)
            lin2 = try Linear(features, features, bias: false)
            super.init()
            try register(module: "lin1", lin1)
            try register(module: "bn", bn)
            try register(module: "lin2", lin2)
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor { try lin2(bn(lin1(x)).relu()) }
    }
}
