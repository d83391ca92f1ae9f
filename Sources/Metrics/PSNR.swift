import Foundation
import Torch

extension Metrics {
    /// Peak signal-to-noise ratio per image in dB, for a data range of 1 on [0, 1] data: 10 log10(1 / MSE) with the
    /// MSE of `mse`. x, y [N, C, H, W] in [-1, 1] -> [N]. Identical images have no noise and give +infinity, which
    /// `MetricSummary` carries into the mean rather than dropping the image.
    public static func psnr(_ x: Tensor, _ y: Tensor) throws -> [Double] {
        try mse(x, y).map { $0 == 0 ? .infinity : -10 * log10($0) }
    }
}
