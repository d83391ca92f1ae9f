import Torch

/// Face verification scored as in the ArcFace papers: every pair of embeddings is genuine (same identity) or
/// impostor (different identities), scored by cosine similarity, and accepted above a threshold.
public enum Verification {
    /// The true accept rate at the threshold where at most `falseAcceptRate` of impostor pairs are accepted:
    /// the threshold is the (⌊far · impostors⌋ + 1)-th highest impostor score and a pair is accepted when its
    /// score is strictly above it. Embeddings [N, E] (normalised here), identities [N] int64; each unordered
    /// pair counts once.
    public static func trueAcceptRate(embeddings: Tensor, identities: Tensor, falseAcceptRate: Double) throws
        -> (rate: Double, threshold: Double, genuinePairs: Int, impostorPairs: Int)
    {
        let n = embeddings.shape[0]
        guard embeddings.shape.count == 2, identities.shape == [n], n >= 2 else {
            throw TorchError("Verification: expected embeddings [N, E] and identities [N] with N >= 2, got "
                + "\(embeddings.shape) and \(identities.shape)")
        }
        guard falseAcceptRate > 0, falseAcceptRate < 1 else {
            throw TorchError("Verification: false accept rate \(falseAcceptRate) is outside (0, 1)")
        }
        let unit = try F.normalize(embeddings.to(dtype: .float64), dim: 1)
        let similarity = try unit.matmul(unit.transpose(0, 1))
        let upper = try Tensor.ones([n, n], dtype: .bool).triu(1)
        let ids = try identities.to(dtype: .int64)
        let same = try ids.unsqueeze(1).eq(ids.unsqueeze(0))
        let genuine = try similarity.maskedSelect(same.logicalAnd(upper))
        let impostor = try similarity.maskedSelect(same.logicalNot().logicalAnd(upper))
        guard genuine.count > 0, impostor.count > 0 else {
            throw TorchError("Verification: need both genuine and impostor pairs (\(genuine.count) and \(impostor.count))")
        }
        let allowed = Int((falseAcceptRate * Double(impostor.count)).rounded(.down))
        let sorted = try impostor.sort(descending: true).values
        let threshold = try sorted.select(0, Swift.min(allowed, impostor.count - 1)).item()
        let rate = try genuine.gt(threshold).to(dtype: .float64).mean().item()
        return (rate, threshold, genuine.count, impostor.count)
    }
}
