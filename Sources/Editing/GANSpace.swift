import StyleGAN
import Torch

/// GANSpace: principal components of W, the space the mapping network produces.
///
/// z ~ N(0, I) is drawn from a seeded generator in fixed chunks, mapped to w, and folded into a float64 mean
/// and covariance (`CovarianceAccumulator`). The result is that of GANSpace's `pca` estimator on those
/// samples: the covariance's leading eigenvectors, each signed so that its largest-magnitude entry is positive
/// (scikit-learn's `svd_flip`, as its default `ipca` estimator signs them); the std is the samples' standard
/// deviation along each (the square root of the eigenvalue of the covariance divided by N; GANSpace's
/// `lat_stdev` estimates the same from 5,000 further samples); the variance ratio is the eigenvalue over the
/// total variance. An edit E(k, a-b) with sigma s adds s · std_k · comp_k to w+ rows a...b (both included)
/// only.
public enum GANSpace {
    /// z codes drawn per mapping pass; fixed so that the samples depend on the seed only.
    public static let chunk = 10_000

    public struct Components {
        /// [K, D]: row k is component k, unit length, float32, largest variance first.
        public let directions: Tensor
        /// Standard deviation of the samples along each component.
        public let std: [Double]
        /// [D] float32: the samples' mean (GANSpace's `lat_mean`).
        public let mean: Tensor
        /// Each component's share of the total variance, when known.
        public let explainedVarianceRatio: [Double]?
        /// How many samples the components were computed from, when known.
        public let samples: Int?
        /// The samples' standard deviation along seeded random unit directions, one per component (GANSpace's
        /// `random_stdevs`, a baseline for the components' std), when known.
        public let randomStd: [Double]?

        public init(directions: Tensor, std: [Double], mean: Tensor, explainedVarianceRatio: [Double]?, samples: Int?,
                    randomStd: [Double]? = nil) throws
        {
            guard directions.rank == 2, std.count == directions.size(0), mean.shape == [directions.size(1)] else {
                throw TorchError("GANSpace components: directions [K, D], std [K] and mean [D] disagree: "
                    + "\(directions.shape), \(std.count), \(mean.shape)")
            }
            if let ratio = explainedVarianceRatio, ratio.count != std.count {
                throw TorchError("GANSpace components: \(ratio.count) variance ratios for \(std.count) components")
            }
            if let randomStd, randomStd.count != std.count {
                throw TorchError("GANSpace components: \(randomStd.count) random-direction deviations for \(std.count) components")
            }
            guard std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw TorchError("GANSpace components: standard deviations must be finite and positive")
            }
            self.directions = directions
            self.std = std
            self.mean = mean
            self.explainedVarianceRatio = explainedVarianceRatio
            self.samples = samples
            self.randomStd = randomStd
        }

        public var count: Int { std.count }

        /// Component `k` as a direction whose strength is in standard deviations (sigma), positioned from the mean.
        public func direction(_ k: Int, label: String? = nil) throws -> LatentDirection {
            guard (0..<count).contains(k) else {
                throw TorchError("GANSpace component \(k) is outside 0...\(count - 1)")
            }
            return try LatentDirection(vector: directions.select(0, k), unit: std[k], label: label ?? "ganspace\(k)",
                                       method: .ganspace, centre: mean)
        }
    }

    /// The leading `components` principal components of the samples an accumulator has seen.
    public static func components(of accumulator: CovarianceAccumulator, count components: Int) throws -> Components {
        let covariance = try accumulator.covariance().to(device: .cpu)
        let d = covariance.size(0)
        guard (1...d).contains(components) else { throw TorchError("GANSpace: components must be in 1...\(d), got \(components)") }
        let (values, vectors) = try Linalg.eigh(covariance)
        let top = try values.flip([0]).slice(0, 0, components).clamp(min: 0)
        let directions = try Signs.canonical(vectors.flip([1]).slice(1, 0, components).transpose(0, 1))
        let total = try covariance.diagonal().sum().item()
        // GANSpace's random baseline, exact for these samples: std along r is sqrt(rᵀ Σ r).
        let random = try Tensor.randn([components, d], dtype: .float64, generator: Torch.Generator(seed: randomSeed))
        let r = try random / random.norm(dims: [1], keepdim: true)
        let randomStd = try (r.matmul(covariance) * r).sum([1]).clamp(min: 0).sqrt().doubles()
        return try Components(directions: directions.to(dtype: .float32), std: top.sqrt().doubles(),
                              mean: accumulator.currentMean().to(device: .cpu, dtype: .float32),
                              explainedVarianceRatio: try (top / total).doubles(), samples: accumulator.count,
                              randomStd: randomStd)
    }

    /// Seed of the random directions behind `randomStd` (GANSpace's SEED_RANDOM_DIRS).
    static let randomSeed: UInt64 = 2

    /// Principal components of given codes [N, D], folded in chunk by chunk.
    public static func components(ofSamples samples: Tensor, count components: Int) throws -> Components {
        guard samples.rank == 2 else { throw TorchError("GANSpace: samples must be [N, D], got \(samples.shape)") }
        var accumulator = try CovarianceAccumulator(dimension: samples.size(1), device: samples.device)
        for part in try samples.split(size: chunk) { try accumulator.add(part) }
        return try GANSpace.components(of: accumulator, count: components)
    }

    /// Principal components of `samples` mapped codes w = mapping(z), z from a generator seeded with `seed`.
    /// `progress(done, total)` is called after each chunk.
    public static func components(of g: StyleGAN2Generator, samples: Int = 1_000_000, count components: Int,
                                  seed: UInt64 = 0, device: Device = .cpu,
                                  progress: (Int, Int) -> Void = { _, _ in }) throws -> Components
    {
        guard samples >= 2 else { throw TorchError("GANSpace: need at least 2 samples, got \(samples)") }
        let rng = try Torch.Generator(seed: seed)
        var accumulator = try CovarianceAccumulator(dimension: g.config.styleDim, device: device)
        var done = 0
        try withInferenceMode {
            while done < samples {
                let n = min(chunk, samples - done)
                let z = try Tensor.randn([n, g.config.styleDim], generator: rng).to(device: device)
                try accumulator.add(g.mapping(z))
                done += n
                progress(done, samples)
            }
        }
        return try GANSpace.components(of: accumulator, count: components)
    }
}
