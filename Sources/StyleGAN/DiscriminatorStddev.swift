import Torch

/// The minibatch standard-deviation feature of StyleGAN's discriminator: x [N, C, H, W] -> [N, C + features, H, W].
///
/// The batch is split into `min(N, group)` interleaved groups (sample i belongs to group i / (N / group), position
/// i % (N / group)); for each position and channel group, the standard deviation over the groups (biased, + 1e-8
/// under the root) is averaged over channels and pixels and appended as a constant map to each of those samples.
public func minibatchStddev(_ x: Tensor, group: Int, features: Int) throws -> Tensor {
    guard x.rank == 4 else { throw TorchError("minibatch stddev: expected input [N, C, H, W], got \(x.shape)") }
    let (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3))
    let g = min(n, group)
    guard g > 0, n % g == 0 else {
        throw TorchError("minibatch stddev: the batch (\(n)) must be a multiple of the group size \(g)")
    }
    guard features > 0, c % features == 0 else {
        throw TorchError("minibatch stddev: \(features) feature groups do not divide \(c) channels")
    }
    // Statistics in float32 at least, whatever the activations' dtype.
    var s = try x.to(dtype: x.dtype == .float64 ? .float64 : .float32).reshape([g, -1, features, c / features, h, w])
    s = try (s.variance([0], correction: 0) + 1e-8).sqrt()  // [N / g, F, C / F, H, W]
    s = try s.mean([2, 3, 4], keepdim: true).squeeze(2)  // [N / g, F, 1, 1]
    s = try s.repeat([g, 1, h, w]).to(dtype: x.dtype)
    return try Tensor.cat([x, s], dim: 1)
}
