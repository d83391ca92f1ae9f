import Torch

extension Metrics {
    /// SSIM's constants, those of Wang et al. (2004) and of `pytorch_msssim`: an 11-tap Gaussian window with
    /// sigma 1.5, K1 = 0.01 and K2 = 0.03, for a data range of 1. Images must be at least a window wide.
    public static let ssimWindowSize = 11
    static let ssimSigma = 1.5
    static let ssimC1 = 0.01 * 0.01
    static let ssimC2 = 0.03 * 0.03

    /// Structural similarity per image, as `pytorch_msssim.ssim(x, y, data_range=1)` on [0, 1] data.
    ///
    /// Local means μ, variances σ² and covariance σxy come from a separable Gaussian filter applied without padding
    /// (only positions where the window fits); the SSIM map is
    /// (2 μx μy + C1) / (μx² + μy² + C1) · (2 σxy + C2) / (σx² + σy² + C2), averaged over each channel's positions and
    /// then over channels. (skimage differs at the borders: it pads by reflection and crops.)
    /// x, y [N, C, H, W] in [-1, 1] with H, W >= 11 -> [N], 1 for identical images.
    public static func ssim(_ x: Tensor, _ y: Tensor) throws -> [Double] {
        try checkPair(x, y, metric: "SSIM")
        guard min(x.size(2), x.size(3)) >= ssimWindowSize else {
            throw TorchError("SSIM: images of \(x.size(2))x\(x.size(3)) are smaller than the "
                + "\(ssimWindowSize)-pixel window")
        }
        return try ssimComponents(unitRange(x), unitRange(y)).ssim.mean([1]).doubles()
    }

    /// The per-channel means of the SSIM map and of its contrast-structure factor (the second fraction), [N, C]
    /// each, for float64 images in [0, 1]; MS-SSIM combines both across scales.
    static func ssimComponents(_ x: Tensor, _ y: Tensor) throws -> (ssim: Tensor, cs: Tensor) {
        let channels = x.size(1)
        let coords = try Tensor.arange(0, Double(ssimWindowSize), dtype: .float64) - Double(ssimWindowSize / 2)
        let gauss = try (coords.square() * (-1 / (2 * ssimSigma * ssimSigma))).exp()
        let row = try (gauss / gauss.sum()).reshape([1, 1, 1, ssimWindowSize]).repeat([channels, 1, 1, 1])
            .to(device: x.device)
        let column = try row.transpose(2, 3)
        func blur(_ t: Tensor) throws -> Tensor {
            try F.conv2d(F.conv2d(t, row, groups: channels), column, groups: channels)
        }
        let muX = try blur(x)
        let muY = try blur(y)
        let varX = try blur(x * x) - muX.square()
        let varY = try blur(y * y) - muY.square()
        let cov = try blur(x * y) - muX * muY
        let cs = try (cov * 2 + ssimC2) / (varX + varY + ssimC2)
        let luminance = try (muX * muY * 2 + ssimC1) / (muX.square() + muY.square() + ssimC1)
        return (try (luminance * cs).mean([2, 3]), try cs.mean([2, 3]))
    }
}
