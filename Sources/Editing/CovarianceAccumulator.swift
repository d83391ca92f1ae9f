import Torch

/// Mean and covariance of samples seen chunk by chunk, in float64, so a million codes never sit in memory at
/// once and the result does not lose precision to a long running sum.
///
/// Each chunk's own mean and scatter matrix are merged into the running ones (Chan et al.'s pairwise update:
/// M2 = M2_a + M2_b + δδ^T n_a n_b / n), which stays accurate however far the data sit from the origin.
public struct CovarianceAccumulator {
    public private(set) var count = 0
    /// [D] float64
    private var mean: Tensor
    /// [D, D] float64, the sum of (x - mean)(x - mean)^T.
    private var scatter: Tensor

    public init(dimension: Int, device: Device = .cpu) throws {
        mean = try Tensor.zeros([dimension], dtype: .float64, device: device)
        scatter = try Tensor.zeros([dimension, dimension], dtype: .float64, device: device)
    }

    /// Adds samples [N, D].
    public mutating func add(_ samples: Tensor) throws {
        let d = mean.count
        guard samples.rank == 2, samples.size(1) == d else {
            throw TorchError("covariance: samples must be [N, \(d)], got \(samples.shape)")
        }
        let n = samples.size(0)
        guard n > 0 else { return }
        let x = try samples.to(device: mean.device, dtype: .float64)
        let chunkMean = try x.mean([0])
        let centred = try x - chunkMean
        let chunkScatter = try centred.transpose(0, 1).matmul(centred)
        let total = count + n
        let delta = try chunkMean - mean
        mean = try mean + delta * (Double(n) / Double(total))
        scatter = try scatter + chunkScatter + delta.outer(delta) * (Double(count) * Double(n) / Double(total))
        count = total
    }

    /// The mean [D], float64.
    public func currentMean() throws -> Tensor {
        guard count > 0 else { throw TorchError("covariance: no samples yet") }
        return mean
    }

    /// The population covariance [D, D] (divided by N, as the standard deviations numpy's `std` gives), float64.
    public func covariance() throws -> Tensor {
        guard count > 1 else { throw TorchError("covariance: need at least 2 samples, have \(count)") }
        return try scatter / Double(count)
    }
}
