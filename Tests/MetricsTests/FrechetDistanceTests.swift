import Checkpoints
import Foundation
import Metrics
import Testing
import Torch

/// FID's statistics and Fréchet distance against closed forms.
@Suite("Fréchet distance")
struct FrechetDistanceTests {
    init() throws { try Runtime.start() }

    func doubles(_ count: Int, seed: UInt64, low: Double, high: Double) throws -> [Double] {
        try (Tensor.rand([count], dtype: .float64, generator: Generator(seed: seed)) * (high - low) + low).doubles()
    }

    @Test func statisticsOfFeatures() throws {
        // Rows (1, 2), (3, 0), (5, 4), (7, 2): mean (4, 2); deviations (-3, 0), (-1, -2), (1, 2), (3, 0);
        // covariance with divisor 3: xx 20/3, xy 4/3, yy 8/3.
        let stats = try FeatureStatistics(features: Tensor([Float(1), 2, 3, 0, 5, 4, 7, 2], shape: [4, 2]))
        #expect(stats.mean.dtype == .float64)
        #expect(try stats.mean.doubles() == [4, 2])
        let cov = try stats.covariance.doubles()
        for (value, expected) in zip(cov, [20.0 / 3, 4.0 / 3, 4.0 / 3, 8.0 / 3]) {
            #expect(abs(value - expected) < 1e-12)
        }
        #expect(throws: TorchError.self) { try FeatureStatistics(features: Tensor.zeros([1, 2])) }
    }

    /// Diagonal covariances: |μ1 - μ2|² + Σ (s1 + s2 - 2 √(s1 s2)).
    @Test func diagonalGaussians() throws {
        let d = 16
        let mu1 = try doubles(d, seed: 1, low: -1, high: 1), mu2 = try doubles(d, seed: 2, low: -1, high: 1)
        let s1 = try doubles(d, seed: 3, low: 0.1, high: 2), s2 = try doubles(d, seed: 4, low: 0.1, high: 2)
        let a = try FeatureStatistics(mean: Tensor(mu1), covariance: Tensor.eye(d, dtype: .float64) * Tensor(s1))
        let b = try FeatureStatistics(mean: Tensor(mu2), covariance: Tensor.eye(d, dtype: .float64) * Tensor(s2))
        var expected = 0.0
        for i in 0..<d {
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + s1[i] + s2[i] - 2 * (s1[i] * s2[i]).squareRoot()
        }
        #expect(abs(try Metrics.frechetDistance(a, b) - expected) < 1e-10)
        #expect(abs(try Metrics.frechetDistance(b, a) - expected) < 1e-10)
    }

    /// 2x2: Σ1 Σ2 has eigenvalues λ1, λ2 >= 0 with λ1 + λ2 = tr(Σ1 Σ2) and λ1 λ2 = det Σ1 det Σ2, so
    /// tr (Σ1 Σ2)^½ = √λ1 + √λ2 = √(tr(Σ1 Σ2) + 2 √(det Σ1 det Σ2)).
    @Test func twoByTwo() throws {
        let (p, q, r) = (2.0, 0.5, 1.0)       // Σ1 = [[p, q], [q, r]]
        let (s, t, u) = (1.0, -0.3, 0.5)      // Σ2 = [[s, t], [t, u]]
        let traceProduct = p * s + q * t + q * t + r * u
        let detProduct = (p * r - q * q) * (s * u - t * t)
        let traceRoot = (traceProduct + 2 * detProduct.squareRoot()).squareRoot()
        let mu1 = [0.5, -1.0], mu2 = [0.25, 0.5]
        let expected = 0.0625 + 2.25 + p + r + s + u - 2 * traceRoot
        let a = try FeatureStatistics(mean: Tensor(mu1), covariance: Tensor([p, q, q, r], shape: [2, 2]))
        let b = try FeatureStatistics(mean: Tensor(mu2), covariance: Tensor([s, t, t, u], shape: [2, 2]))
        #expect(abs(try Metrics.frechetDistance(a, b) - expected) < 1e-12)
    }

    /// Covariances with common eigenvectors Q: Σi = Q diag(di) Qᵀ, so tr (Σ1 Σ2)^½ = Σ √(d1 d2) and the distance is
    /// |μ1 - μ2|² + Σ (√d1 - √d2)².
    @Test func sharedEigenvectors() throws {
        let d = 12
        let q = try Linalg.qr(Tensor.randn([d, d], dtype: .float64, generator: Generator(seed: 5))).q
        let d1 = try doubles(d, seed: 6, low: 0.01, high: 3), d2 = try doubles(d, seed: 7, low: 0.01, high: 3)
        func covariance(_ values: [Double]) throws -> Tensor {
            try (q * Tensor(values)).matmul(q.transpose(0, 1))
        }
        let mu1 = try doubles(d, seed: 8, low: -2, high: 2), mu2 = try doubles(d, seed: 9, low: -2, high: 2)
        var expected = 0.0
        for i in 0..<d {
            let rootGap = d1[i].squareRoot() - d2[i].squareRoot()
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + rootGap * rootGap
        }
        let a = try FeatureStatistics(mean: Tensor(mu1), covariance: covariance(d1))
        let b = try FeatureStatistics(mean: Tensor(mu2), covariance: covariance(d2))
        #expect(abs(try Metrics.frechetDistance(a, b) - expected) < 1e-9)
    }

    /// General covariances that do not commute: tr (Σ1 Σ2)^½ from the Denman–Beavers iteration on Σ1 Σ2 itself
    /// (Y ← (Y + Z⁻¹) / 2, Z ← (Z + Y⁻¹) / 2 from Y = Σ1 Σ2, Z = I converges to Y = (Σ1 Σ2)^½, as the product's
    /// eigenvalues are positive), a route that shares nothing with the eigendecompositions.
    @Test func generalCovariances() throws {
        let d = 10
        func covariance(seed: UInt64) throws -> Tensor {
            let m = try Tensor.randn([d, d], dtype: .float64, generator: Generator(seed: seed))
            return try m.matmul(m.transpose(0, 1)) / Double(d) + Tensor.eye(d, dtype: .float64) * 0.1
        }
        let sigma1 = try covariance(seed: 12), sigma2 = try covariance(seed: 13)
        var y = try sigma1.matmul(sigma2)
        var z = try Tensor.eye(d, dtype: .float64)
        for _ in 0..<60 {
            (y, z) = (try (y + Linalg.inv(z)) * 0.5, try (z + Linalg.inv(y)) * 0.5)
        }
        let residual = try (y.matmul(y) - sigma1.matmul(sigma2)).abs().max().item()
        #expect(residual < 1e-10, "the iteration converged")
        let mu1 = try Tensor.randn([d], dtype: .float64, generator: Generator(seed: 14))
        let mu2 = try Tensor.randn([d], dtype: .float64, generator: Generator(seed: 15))
        let expected = try (mu1 - mu2).square().sum().item() + sigma1.diagonal().sum().item()
            + sigma2.diagonal().sum().item() - 2 * y.diagonal().sum().item()
        let distance = try Metrics.frechetDistance(FeatureStatistics(mean: mu1, covariance: sigma1),
                                                   FeatureStatistics(mean: mu2, covariance: sigma2))
        #expect(abs(distance - expected) < 1e-9 * max(1, expected), "\(distance) vs \(expected)")
    }

    /// A set against itself is 0, also when there are fewer samples than dimensions (singular covariance).
    @Test func sameStatisticsGiveZero() throws {
        for n in [200, 32, 5] {
            let stats = try FeatureStatistics(features: Tensor.randn([n, 32], generator: Generator(seed: 10)))
            #expect(abs(try Metrics.frechetDistance(stats, stats)) < 1e-10, "n = \(n)")
        }
        let small = try FeatureStatistics(mean: Tensor.zeros([3]), covariance: Tensor.eye(3))
        let large = try FeatureStatistics(mean: Tensor.zeros([4]), covariance: Tensor.eye(4))
        #expect(throws: TorchError.self) { try Metrics.frechetDistance(small, large) }
    }

    @Test func npzRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stats = try FeatureStatistics(features: Tensor.randn([50, 6], generator: Generator(seed: 11)))
        let path = folder.appendingPathComponent("stats.npz").path
        try stats.save(to: path)
        let arrays = try NumPy.readArchive(path)
        #expect(arrays.names == ["mu", "sigma"])
        let loaded = try FeatureStatistics.load(path)
        #expect(try loaded.mean.doubles() == stats.mean.doubles())
        #expect(try loaded.covariance.doubles() == stats.covariance.doubles())

        // float32 statistics are read as float64; a file without sigma is refused.
        let single = folder.appendingPathComponent("single.npz").path
        try NumPy.writeArchive(["mu": Tensor.zeros([6]), "sigma": Tensor.eye(6)], to: single)
        #expect(try FeatureStatistics.load(single).covariance.dtype == .float64)
        let partial = folder.appendingPathComponent("partial.npz").path
        try NumPy.writeArchive(["mu": Tensor.zeros([6])], to: partial)
        #expect(throws: CheckpointError.self) { try FeatureStatistics.load(partial) }
    }
}
