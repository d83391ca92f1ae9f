import Perception
import Torch

extension Metrics {
    /// LPIPS per image with `network` (see `Perception.LPIPS` for the definition), evaluated without recording
    /// gradients. pSp and e4e report the AlexNet variant on 256x256 images in [-1, 1].
    /// x, y [N, 3, H, W] in [-1, 1], of the network's dtype -> [N].
    public static func lpips(_ x: Tensor, _ y: Tensor, network: LPIPS) throws -> [Double] {
        try checkPair(x, y, metric: "LPIPS")
        return try withNoGrad { try network(x, y).doubles() }
    }
}
