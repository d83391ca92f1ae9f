import Torch

/// A face-recognition network that maps images to identity embeddings, for the identity metrics (ArcFace or
/// IR-SE50 in the papers). A conformer does its own preprocessing (face crop, resize to its input size), so the
/// metrics stay independent of any particular network.
public protocol IdentityEmbedder {
    /// images [N, 3, H, W] in [-1, 1] -> embeddings [N, D], normalised or not.
    func embed(_ images: Tensor) throws -> Tensor
}

extension Metrics {
    /// The embeddings of `images` as unit vectors in float64, [N, D], computed without recording gradients.
    static func unitEmbeddings(_ images: Tensor, _ embedder: some IdentityEmbedder, metric: String) throws -> Tensor {
        let embeddings = try withNoGrad { try embedder.embed(images) }
        guard embeddings.rank == 2, embeddings.size(0) == images.size(0), embeddings.size(1) > 0,
              embeddings.dtype.isFloatingPoint
        else {
            throw TorchError("\(metric): the embedder returned \(embeddings.dtype) \(embeddings.shape) for "
                + "\(images.shape); expected floating-point [\(images.size(0)), D]")
        }
        return try F.normalize(embeddings.to(dtype: .float64), p: 2, dim: 1)
    }
}
