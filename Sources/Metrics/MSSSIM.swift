import Torch

extension Metrics {
    /// The weights of MS-SSIM's five scales (Wang et al. 2003), finest first.
    public static let msssimWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]

    /// Multi-scale structural similarity per image, as `pytorch_msssim.ms_ssim(x, y, data_range=1)` on [0, 1] data.
    ///
    /// At each of the five scales the SSIM components of `ssim` are taken per channel; between scales both images
    /// are average-pooled 2x2 (padding an odd side by one, zeros counted). The value is
    /// Π_{j<5} relu(cs_j)^{w_j} · relu(ssim_5)^{w_5} per channel, averaged over channels: contrast-structure at the
    /// four finer scales, full SSIM at the coarsest. x, y [N, C, H, W] in [-1, 1] with H, W > 160 (the window must
    /// still fit after four halvings, the reference's own requirement) -> [N], 1 for identical images.
    public static func msssim(_ x: Tensor, _ y: Tensor) throws -> [Double] {
        try checkPair(x, y, metric: "MS-SSIM")
        let minimum = (ssimWindowSize - 1) * (1 << (msssimWeights.count - 1))
        guard min(x.size(2), x.size(3)) > minimum else {
            throw TorchError("MS-SSIM: images of \(x.size(2))x\(x.size(3)) must be larger than \(minimum) on each side "
                + "for \(msssimWeights.count) scales")
        }
        var a = try unitRange(x)
        var b = try unitRange(y)
        var value: Tensor?
        for (level, weight) in msssimWeights.enumerated() {
            let (ssim, cs) = try ssimComponents(a, b)
            let last = level == msssimWeights.count - 1
            let factor = try (last ? ssim : cs).relu().pow(weight)
            value = try value.map { try $0 * factor } ?? factor
            if !last {
                let padding = (a.size(2) % 2, a.size(3) % 2)
                a = try F.avgPool2d(a, kernel: (2, 2), padding: padding)
                b = try F.avgPool2d(b, kernel: (2, 2), padding: padding)
            }
        }
        return try value!.mean([1]).doubles()
    }
}
