import Torch

extension LPIPS {
    /// The Feature-Style encoder's multi-scale LPIPS: the distance at full size plus at successive halvings, per
    /// image [N].
    ///
    /// Its trainer (`Trainer.LPIPS(..., multi_scale=True)` in InterDigital's FeatureStyleEncoder) sums, over
    /// k = 0, 1, 2, the batch mean of LPIPS between both images halved k times by `downscale`, which applies
    /// `F.interpolate(x, scale_factor=0.5, mode='bilinear')` once per halving (align_corners False, no
    /// antialiasing; a size H becomes floor(H / 2)). The batch mean of this value is that loss.
    ///
    /// x, y [N, 3, H, W] in [-1, 1]; the smallest scale must still fit the backbone (AlexNet: H, W >= 124 for 3).
    public func multiScale(_ x: Tensor, _ y: Tensor, scales: Int = 3) throws -> Tensor {
        guard scales > 0 else { throw TorchError("LPIPS.multiScale: scales must be positive, got \(scales)") }
        try expectInput(x, ["N", 3, "H", "W"], name: "x")
        var smallest = x.shape
        for _ in 1..<scales { smallest = [smallest[0], 3, smallest[2] / 2, smallest[3] / 2] }
        guard net.accepts(inputShape: smallest) else {
            throw TorchError("LPIPS(\(network)).multiScale: \(x.size(2))x\(x.size(3)) halved \(scales - 1) times is "
                + "\(smallest[2])x\(smallest[3]), smaller than the backbone's minimum "
                + "\(net.minimumInputSize)x\(net.minimumInputSize)")
        }
        var a = x
        var b = y
        var total = try self(a, b)
        for _ in 1..<scales {
            a = try F.interpolate(a, scale: (0.5, 0.5), mode: .bilinear, alignCorners: false)
            b = try F.interpolate(b, scale: (0.5, 0.5), mode: .bilinear, alignCorners: false)
            total = try total + self(a, b)
        }
        return total
    }
}
