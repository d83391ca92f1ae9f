import Torch

extension Metrics {
    /// The Fréchet distance between two Gaussians, FID when they summarise Inception-v3 pool features:
    ///
    ///     |μ1 - μ2|² + tr Σ1 + tr Σ2 - 2 tr (Σ1 Σ2)^½
    ///
    /// tr (Σ1 Σ2)^½ is the sum of the square roots of the eigenvalues of Σ1 Σ2, which has the eigenvalues of the
    /// symmetric positive semi-definite Σ1^½ Σ2 Σ1^½; Σ1^½ = V diag(√λ) Vᵀ comes from Σ1's symmetric
    /// eigendecomposition. Two `eigh` calls replace pytorch-fid's `scipy.linalg.sqrtm` of the non-symmetric product
    /// (a Schur decomposition that can return spurious imaginary parts) and give the same value in exact arithmetic.
    /// Eigenvalues within rounding of zero, negative ones included, count as 0 (see `eigenvalueRoots`), which keeps
    /// the singular covariances of sets smaller than D exact. Runs in float64 on the statistics' device.
    public static func frechetDistance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
        guard a.dimension == b.dimension else {
            throw TorchError("Fréchet distance: statistics of dimension \(a.dimension) and \(b.dimension)")
        }
        let device = a.mean.device
        let mu2 = try b.mean.to(device: device)
        let sigma2 = try b.covariance.to(device: device)
        let meanTerm = try (a.mean - mu2).square().sum().item()
        let traces = try a.covariance.diagonal().sum().item() + sigma2.diagonal().sum().item()
        let rootSigma1 = try symmetricSquareRoot(a.covariance)
        let product = try rootSigma1.matmul(sigma2).matmul(rootSigma1)
        let traceOfRoot = try eigenvalueRoots(Linalg.eigh(symmetrized(product)).values).sum().item()
        return meanTerm + traces - 2 * traceOfRoot
    }

    /// A^½ = V diag(√λ) Vᵀ for a symmetric positive semi-definite A [D, D].
    static func symmetricSquareRoot(_ a: Tensor) throws -> Tensor {
        let (values, vectors) = try Linalg.eigh(symmetrized(a))
        return try (vectors * eigenvalueRoots(values)).matmul(vectors.transpose(0, 1))
    }

    /// √λ of a positive semi-definite matrix's eigenvalues [D], with those at most D · ε · max λ (NumPy's
    /// `matrix_rank` tolerance: indistinguishable from 0 after rounding) set to 0. The square root would otherwise
    /// turn each zero eigenvalue's rounding noise of ~1e-16 into ~1e-8, an error that adds up over the hundreds of
    /// zero eigenvalues a covariance of fewer samples than dimensions has.
    static func eigenvalueRoots(_ values: Tensor) throws -> Tensor {
        let limit = try values.max().item() * Double(values.size(0)) * Double.ulpOfOne
        return try values.maskedFill(values.le(limit), 0).sqrt()
    }

    /// (A + Aᵀ) / 2: removes the asymmetry rounding leaves in products that are symmetric in exact arithmetic.
    private static func symmetrized(_ a: Tensor) throws -> Tensor {
        try (a + a.transpose(0, 1)) * 0.5
    }
}
