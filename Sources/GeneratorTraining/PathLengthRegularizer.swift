import Foundation
import Torch

/// StyleGAN2's path-length regulariser (rosinality's `g_path_regularize`): for images G(w+) and a random image-space
/// direction y ~ N(0, 1) / sqrt(H W), the length of J^T y = d sum(G(w+) y) / dw+ (summed over the style dimensions,
/// averaged over the w+ rows, square-rooted) is pulled toward its running mean a.
///
/// The running mean is this value's state: each call moves it by `decay` toward the batch's mean length, and the
/// penalty mean (|J^T y| - a')² is taken against the moved value a' (whose dependence on the batch is kept in the
/// gradient, as in the reference).
public struct PathLengthRegularizer: Codable, Equatable, Sendable {
    /// How far each batch moves the running mean (rosinality: 0.01).
    public var decay: Double
    /// The running mean of the path lengths (rosinality's `mean_path_length`; 0 at the start of training).
    public private(set) var meanPathLength: Double

    public init(decay: Double = 0.01, meanPathLength: Double = 0) {
        self.decay = decay
        self.meanPathLength = meanPathLength
    }

    public struct Result {
        /// The penalty, a differentiable scalar; rosinality minimises path_regularize x g_reg_every x it.
        public let penalty: Tensor
        /// [N] per image, detached.
        public let pathLengths: Tensor
        /// The running mean after this batch (also `meanPathLength` now).
        public let pathMean: Double
    }

    /// images [N, 3, H, W] computed from `latents` (the w+ codes [N, L, D] in the same graph) with a fresh direction
    /// drawn from `generator`.
    public mutating func penalty(images: Tensor, latents: Tensor, generator: Torch.Generator) throws -> Result {
        let noise = try Tensor.randn(images.shape, dtype: images.dtype, generator: generator).to(device: images.device)
        return try penalty(images: images, latents: latents,
                           direction: noise / Double(images.size(2) * images.size(3)).squareRoot())
    }

    /// The same with the direction given ([N, 3, H, W], already divided by sqrt(H W)).
    public mutating func penalty(images: Tensor, latents: Tensor, direction: Tensor) throws -> Result {
        guard images.rank == 4, direction.shape == images.shape else {
            throw TorchError("path length: direction \(direction.shape) must match the images \(images.shape)")
        }
        guard latents.rank == 3, latents.size(0) == images.size(0) else {
            throw TorchError("path length: latents must be w+ codes [\(images.size(0)), L, D], got \(latents.shape)")
        }
        guard let grad = try gradients(of: (images * direction).sum(), wrt: [latents], createGraph: true)[0] else {
            throw TorchError("path length: the images do not depend on the latents")
        }
        let lengths = try grad.square().sum([2]).mean([1]).sqrt()  // [N]
        let mean = try (lengths.mean() - meanPathLength) * decay + meanPathLength
        let penalty = try (lengths - mean).square().mean()
        meanPathLength = try mean.item()
        return Result(penalty: penalty, pathLengths: try lengths.detach(), pathMean: meanPathLength)
    }
}
