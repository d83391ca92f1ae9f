import Metrics
import Perception
import Torch

/// How close a reconstruction is to its target, as the papers' tables report it.
public struct ReconstructionScores: Codable, Equatable, Sendable {
    /// dB, images in [-1, 1] clamped.
    public var psnr: Double
    /// nil for images smaller than SSIM's 11-pixel window.
    public var ssim: Double?
    /// LPIPS with `lpipsNetwork`, nil when no LPIPS backbone was loaded.
    public var lpips: Double?
    /// Which LPIPS backbone measured `lpips` ("alex" or "vgg").
    public var lpipsNetwork: String?
    /// Identity similarity (cosine of face embeddings), nil when no face-identity network was loaded.
    public var id: Double?

    /// Scores one reconstruction [1, 3, S, S] against its target; the image is clamped to [-1, 1] first.
    public static func measure(_ image: Tensor, target: Tensor, lpips: LPIPS?, identity: (any IdentityEmbedder)? = nil)
        throws -> ReconstructionScores
    {
        let x = try image.to(dtype: target.dtype).clamp(min: -1, max: 1)
        let ssim = Swift.min(x.size(2), x.size(3)) >= Metrics.ssimWindowSize ? try Metrics.ssim(x, target)[0] : nil
        return ReconstructionScores(psnr: try Metrics.psnr(x, target)[0], ssim: ssim,
                                    lpips: try lpips.map { try Metrics.lpips(x, target, network: $0)[0] },
                                    lpipsNetwork: lpips?.network.rawValue,
                                    id: try identity.map { try Metrics.identitySimilarity(x, target, embedder: $0)[0] })
    }
}
