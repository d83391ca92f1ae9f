import Torch

/// Image-quality, identity and distribution metrics as inversion papers report them.
///
/// Images are batches [N, C, H, W] in [-1, 1], as `Image.tensor()` gives them; metrics that the papers define on
/// [0, 1] data map them there first. A per-image metric returns one value per image, computed in float64, so a
/// caller can gather a data set's values and report them with `MetricSummary`.
public enum Metrics {
    /// Checks that x and y are image batches [N, C, H, W] of one shape with N, H, W > 0.
    static func checkPair(_ x: Tensor, _ y: Tensor, metric: String) throws {
        guard x.rank == 4, x.shape == y.shape, x.shape.allSatisfy({ $0 > 0 }) else {
            throw TorchError("\(metric): expected two image batches [N, C, H, W] of the same shape, got \(x.shape) "
                + "and \(y.shape)")
        }
        guard x.dtype.isFloatingPoint, y.dtype.isFloatingPoint else {
            throw TorchError("\(metric): images must be floating point, got \(x.dtype) and \(y.dtype)")
        }
    }

    /// [-1, 1] images as float64 in [0, 1].
    static func unitRange(_ x: Tensor) throws -> Tensor {
        try (x.to(dtype: .float64) + 1) * 0.5
    }
}
