import Torch

extension Metrics {
    /// Identity similarity per image: the cosine similarity ⟨e(x), e(y)⟩ / (|e(x)| |e(y)|) of the two images'
    /// embeddings, in [-1, 1], 1 when the embeddings point the same way. This is the ID score pSp, e4e and the
    /// encoders after them report (with the ArcFace network as the embedder); 1 minus it is their ID loss.
    /// x, y [N, 3, H, W] in [-1, 1] -> [N].
    public static func identitySimilarity(_ x: Tensor, _ y: Tensor, embedder: some IdentityEmbedder) throws
        -> [Double]
    {
        try checkPair(x, y, metric: "ID similarity")
        let ex = try unitEmbeddings(x, embedder, metric: "ID similarity")
        let ey = try unitEmbeddings(y, embedder, metric: "ID similarity")
        guard ex.size(1) == ey.size(1) else {
            throw TorchError("ID similarity: embedding sizes differ (\(ex.size(1)) and \(ey.size(1)))")
        }
        return try (ex * ey).sum([1]).doubles()
    }
}
