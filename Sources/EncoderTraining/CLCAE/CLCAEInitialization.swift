import Encoders
import Foundation
import StyleGAN
import Torch

/// CLCAE's fresh weights, `BaseNetwork.init_weights()` (normal, gain 0.02) as its coaches call it before loading,
/// drawn from a run's own generator: batch norms (2-d) and layer norms get weights N(1, 0.02) and zero biases, linear
/// layers (`EqualLinear` and the attention's output projection included) weights N(0, 0.02) (timm's
/// `trunc_normal_(std=.02)` cut at ±2, 100 standard deviations), convolutions weights N(0, 0.02) and zero biases.
/// What it leaves alone keeps PyTorch's own initialisation, redrawn from the same generator: linear biases (uniform),
/// the attention's input projections (Xavier-uniform), the latent encoder's positional embedding (N(0, 1)); the
/// contrastive image encoder's temperature is log(1 / 0.07), as its `load_weights` resets it.
enum CLCAEInitialization {
    static let gain = 0.02

    /// `equalLinear` chooses how `EqualLinear` weights are drawn (see `CLCAEEqualLinearInit`).
    static func apply(_ module: Module, generator: Torch.Generator, equalLinear: CLCAEEqualLinearInit = .official) throws {
        func normal(_ t: Tensor, mean: Double) throws {
            try t.copy_(Tensor.randn(t.shape, generator: generator) * gain + mean)
        }
        // The attention's output projection keeps PyTorch's zero bias.
        let zeroBias = Set(module.modules().compactMap { ($0 as? MultiheadAttention).map { ObjectIdentifier($0.outProj) } })
        try withNoGrad {
            for child in module.modules() {
                switch child {
                case let norm as BatchNorm2d:
                    if let weight = norm.weight { try normal(weight, mean: 1) }
                    try norm.bias?.zero_()
                case let norm as LayerNorm:
                    if let weight = norm.weight { try normal(weight, mean: 1) }
                    try norm.bias?.zero_()
                case let conv as Conv2d:
                    try normal(conv.weight, mean: 0)
                    try conv.bias?.zero_()
                case let linear as Linear:
                    try normal(linear.weight, mean: 0)
                    if let bias = linear.bias, !zeroBias.contains(ObjectIdentifier(linear)) {
                        let fanIn = linear.weight.size(1)
                        try Init.uniform_(bias, bound: 1 / Double(fanIn).squareRoot(), generator: generator)
                    }
                case let equal as EqualLinear:
                    switch equalLinear {
                    case .official: try normal(equal.weight, mean: 0)
                    case .own: try equal.weight.copy_(Tensor.randn(equal.weight.shape, generator: generator) / equal.lrMul)
                    }
                case let attention as MultiheadAttention:
                    if let weight = attention.inProjWeight { try Init.xavierUniform_(weight, generator: generator) }
                    try attention.inProjBias?.zero_()
                case let latent as CLCAELatentEncoder:
                    try latent.pos_embedding.copy_(Tensor.randn(latent.pos_embedding.shape, generator: generator))
                case let image as CLCAEImageEncoder:
                    try image.logit_scale.fill_(Foundation.log(1 / 0.07))
                case is BatchNorm1d, is PReLU:
                    continue
                default:
                    try SeededInitialization.refuseUnlisted(child, scheme: "CLCAE")
                }
            }
        }
    }

    /// Seeds libtorch's generator, which the attention blocks' training-mode dropout draws from, from the run's own
    /// stream: a resumed run (whose stream is restored) draws the same masks as the uninterrupted one.
    static func seedDropout(from rng: Torch.Generator) throws {
        manualSeed(UInt64(try Tensor.randint(0, Int(Int32.max), [1], generator: rng).itemInt()))
    }
}

/// How CLCAE's fresh encoders draw their `EqualLinear` weights (`--equal_linear_init`).
public enum CLCAEEqualLinearInit: String, Codable, CaseIterable, Sendable {
    /// As the official `init_weights`: N(0, 0.02), as for a plain linear layer. The layer's runtime 1/sqrt(in) scale
    /// then leaves a gain of 0.02/sqrt(in) (0.0018 at width 128): the w head's output starts ~300 times smaller than
    /// the spread of the generator's codes, and short runs leave the foundation code w at `latent_avg`.
    case official
    /// The layer's own draw, N(0, 1/lr_mul), as pSp's encoders start: unit gain, so w varies with the image from the
    /// first step.
    case own
}
