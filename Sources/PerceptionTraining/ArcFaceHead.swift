import Foundation
import Torch

/// The additive angular margin head of ArcFace (Deng et al. 2019) in TreB1eN's InsightFace_Pytorch layout: one
/// weight `kernel` [embedding, classes] whose columns, L2-normalised, are the class centres. The logit of the
/// true class is s cos(θ + m), the others s cos θ; where θ + m would pass π the reference falls back to
/// s (cos θ - m sin m), keeping the target logit monotonic in θ.
public final class ArcFace: Module {
    public let kernel: Tensor
    public let scale: Double
    /// m; settable, so a run can raise it over its first steps (`IdentityTrainingConfig.marginWarmup`).
    public var margin: Double

    /// InsightFace's s = 64, m = 0.5 by default; `kernel` is uniform in [-1, 1] per column, seeded by `generator`.
    public init(embeddingSize: Int, classes: Int, scale: Double = 64, margin: Double = 0.5,
                generator: Torch.Generator? = nil) throws
    {
        guard embeddingSize >= 1, classes >= 2 else {
            throw TorchError("ArcFace: embedding \(embeddingSize) and \(classes) classes (at least 2) are required")
        }
        kernel = try Tensor.rand([embeddingSize, classes], generator: generator) * 2 - 1
        self.scale = scale
        self.margin = margin
        super.init()
        try register(parameter: "kernel", kernel)
    }

    /// Scaled logits with the margin on each row's label: embeddings [N, E] (L2-normalised), labels [N] int64
    /// in 0..<classes -> [N, classes].
    public func logits(_ embeddings: Tensor, labels: Tensor) throws -> Tensor {
        try expectInput(embeddings, ["N", .size(kernel.shape[0])])
        let centres = try kernel / kernel.norm(2, dims: [0], keepdim: true)
        let cosine = try embeddings.matmul(centres).clamp(min: -1, max: 1)
        let sine = try (1 - cosine.square()).clamp(min: 0).sqrt()
        let withMargin = try cosine * Foundation.cos(margin) - sine * Foundation.sin(margin)
        // θ + m > π exactly where cos θ <= cos(π - m).
        let fallback = try cosine - Foundation.sin(Double.pi - margin) * margin
        let target = try Tensor.where(cosine.le(Foundation.cos(Double.pi - margin)), fallback, withMargin)
        let oneHot = try cosine.zerosLike().scatter(1, labels.unsqueeze(1), cosine.onesLike())
        return try Tensor.where(oneHot.gt(0.5), target, cosine) * scale
    }

    /// The ArcFace loss: cross-entropy of `logits` against `labels`, averaged over the batch.
    public func loss(_ embeddings: Tensor, labels: Tensor) throws -> Tensor {
        try F.crossEntropy(logits(embeddings, labels: labels), labels)
    }
}
