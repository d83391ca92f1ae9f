import Checkpoints
import Torch

/// The Gaussian a set of features is summarised by for FID: mean μ [D] and covariance Σ [D, D], in float64 because
/// the Fréchet distance subtracts large, nearly equal traces.
public struct FeatureStatistics: Sendable {
    /// μ [D]
    public let mean: Tensor
    /// Σ [D, D]
    public let covariance: Tensor

    public var dimension: Int { mean.size(0) }

    /// Statistics of features [N, D] with N >= 2 (Inception-v3 pool features [N, 2048] for FID): the mean and the
    /// unbiased covariance (divisor N - 1), as pytorch-fid's `np.mean(axis=0)` and `np.cov(rowvar=False)`.
    public init(features: Tensor) throws {
        guard features.rank == 2, features.size(0) >= 2, features.size(1) > 0, features.dtype.isFloatingPoint else {
            throw TorchError("FeatureStatistics: expected floating-point features [N, D] with N >= 2, got "
                + "\(features.dtype) \(features.shape)")
        }
        let f = try features.to(dtype: .float64)
        let mean = try f.mean([0])
        let centred = try f - mean
        let covariance = try centred.transpose(0, 1).matmul(centred) / Double(f.size(0) - 1)
        try self.init(mean: mean, covariance: covariance)
    }

    /// Statistics given directly: mean [D] and a symmetric covariance [D, D] (converted to float64).
    public init(mean: Tensor, covariance: Tensor) throws {
        let d = mean.rank == 1 ? mean.size(0) : -1
        guard d > 0, covariance.shape == [d, d], mean.dtype.isFloatingPoint, covariance.dtype.isFloatingPoint else {
            throw TorchError("FeatureStatistics: expected floating-point mean [D] and covariance [D, D], got "
                + "\(mean.shape) and \(covariance.shape)")
        }
        self.mean = try mean.to(dtype: .float64)
        self.covariance = try covariance.to(dtype: .float64)
    }

    /// Reads reference statistics from an .npz file with arrays `mu` [D] and `sigma` [D, D], the layout pytorch-fid
    /// writes (`np.savez(path, mu=mu, sigma=sigma)`); other arrays in the file are ignored.
    public static func load(_ path: String) throws -> FeatureStatistics {
        let arrays = try NumPy.readArchive(path)
        guard let mu = arrays["mu"], let sigma = arrays["sigma"] else {
            throw CheckpointError.lookup(file: path, message: "FID statistics need arrays 'mu' and 'sigma'; the file "
                + "has \(arrays.names)")
        }
        do {
            return try FeatureStatistics(mean: mu, covariance: sigma)
        } catch let error as TorchError {
            throw CheckpointError.invalid(file: path, message: error.message)
        }
    }

    /// Writes `mu` and `sigma` (float64, on the CPU) to an .npz file that pytorch-fid reads.
    public func save(to path: String) throws {
        try NumPy.writeArchive(["mu": mean.to(device: .cpu), "sigma": covariance.to(device: .cpu)], to: path)
    }
}
