import Torch

extension Metrics {
    /// Which frame pairs identity consistency averages over.
    public enum IdentityConsistencyPairs: String, CaseIterable, Sendable {
        /// Every later frame with the first: how far the identity drifts from where the video starts.
        case firstFrame
        /// Each frame with the one before: frame-to-frame flicker (STIT's "temporally local" TL-ID, unnormalised).
        case adjacentFrames
        /// Every unordered pair of distinct frames (STIT's "temporally global" TG-ID, unnormalised).
        case allPairs
    }

    /// Identity consistency of a frame sequence: the mean cosine similarity between the identity embeddings of
    /// the chosen frame pairs, 1 when every frame has the same identity direction.
    ///
    /// The Feature-Style encoder's released code (InterDigital FeatureStyleEncoder: video_processing.py,
    /// utils/video_utils.py) computes no identity metric for videos, and its paper's definition could not be checked,
    /// so the pairs are a choice: `firstFrame` by default, or STIT's adjacent and all-pairs versions. STIT further
    /// divides by the same score of the source video; divide two results of this function to get that.
    /// embeddings [T, D] with T >= 2 (normalised here) -> a single value.
    public static func identityConsistency(embeddings: Tensor, pairs: IdentityConsistencyPairs = .firstFrame) throws
        -> Double
    {
        guard embeddings.rank == 2, embeddings.size(0) >= 2, embeddings.size(1) > 0,
              embeddings.dtype.isFloatingPoint
        else {
            throw TorchError("identity consistency: expected floating-point embeddings [T, D] of T >= 2 frames, got "
                + "\(embeddings.dtype) \(embeddings.shape)")
        }
        let e = try F.normalize(embeddings.to(dtype: .float64), p: 2, dim: 1)
        let frames = e.size(0)
        switch pairs {
        case .firstFrame:
            return try e.slice(0, 1, frames).matmul(e.select(0, 0)).mean().item()
        case .adjacentFrames:
            return try (e.slice(0, 1, frames) * e.slice(0, 0, frames - 1)).sum([1]).mean().item()
        case .allPairs:
            // The Gram matrix holds every pair twice off the diagonal and each frame with itself on it.
            let gram = try e.matmul(e.transpose(0, 1))
            let offDiagonal = try gram.sum().item() - gram.diagonal().sum().item()
            return offDiagonal / Double(frames * (frames - 1))
        }
    }

    /// `identityConsistency(embeddings:pairs:)` of frames [T, 3, H, W] in [-1, 1], embedded `batchSize` at a time.
    public static func identityConsistency(frames: Tensor, embedder: some IdentityEmbedder,
                                           pairs: IdentityConsistencyPairs = .firstFrame, batchSize: Int = 16) throws
        -> Double
    {
        guard frames.rank == 4, batchSize > 0 else {
            throw TorchError("identity consistency: expected frames [T, C, H, W] and a positive batch size, got "
                + "\(frames.shape) and \(batchSize)")
        }
        let chunks = try frames.split(size: batchSize).map {
            try unitEmbeddings($0, embedder, metric: "identity consistency")
        }
        return try identityConsistency(embeddings: Tensor.cat(chunks), pairs: pairs)
    }
}
