import Torch

extension Metrics {
    /// Mean squared error per image on [0, 1] data: the mean over C, H, W of (x' - y')² with x' = (x + 1) / 2.
    /// x, y [N, C, H, W] in [-1, 1] -> [N]. PSNR is -10 log10 of it.
    public static func mse(_ x: Tensor, _ y: Tensor) throws -> [Double] {
        try checkPair(x, y, metric: "MSE")
        return try (unitRange(x) - unitRange(y)).square().mean([1, 2, 3]).doubles()
    }

    /// The "L2" that pSp and e4e report, and the encoders compared with them after: the mean squared error per
    /// image on the [-1, 1] range, so four times `mse`. Their `scripts/calc_losses_on_images.py` loads both images
    /// with `Normalize([0.5]*3, [0.5]*3)` (into [-1, 1]) and applies `torch.nn.MSELoss()` (mean over C, H, W) to one
    /// pair at a time. x, y [N, C, H, W] in [-1, 1] -> [N].
    public static func l2(_ x: Tensor, _ y: Tensor) throws -> [Double] {
        try checkPair(x, y, metric: "L2")
        return try (x.to(dtype: .float64) - y.to(dtype: .float64)).square().mean([1, 2, 3]).doubles()
    }
}
