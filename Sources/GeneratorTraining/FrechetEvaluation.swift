import Data
import Metrics
import Perception
import StyleGAN
import Torch

/// The periodic evaluation of a generator run: the Fréchet distance between `samples` images of the EMA generator
/// and as many training images, in a feature network's space. With pytorch-fid's Inception weights it is FID; any
/// other network (the testbed's, a user's) is a closure from images [N, 3, H, W] in [-1, 1] to features [N, D].
/// The data's statistics are computed once, from the first images in dataset order, unflipped.
public final class FrechetEvaluation {
    /// How the logs name the score ("fid", ...).
    public let name: String
    public let samples: Int
    public let features: (Tensor) throws -> Tensor
    /// Images per pass through the generator and the network.
    public let batchSize: Int
    private var reference: FeatureStatistics?

    public init(name: String, samples: Int, batchSize: Int = 32, features: @escaping (Tensor) throws -> Tensor) throws {
        guard samples >= 2, batchSize >= 1 else {
            throw StyleGAN2TrainingError("a Fréchet distance needs at least 2 samples and a positive batch, got \(samples) and \(batchSize)")
        }
        self.name = name
        self.samples = samples
        self.batchSize = batchSize
        self.features = features
    }

    /// FID: pytorch-fid's InceptionV3 (`pt_inception-2015-12-05-6726825d.pth`).
    public static func fid(inception path: String, samples: Int, device: Device = .cpu) throws -> FrechetEvaluation {
        let network = try FIDInceptionV3(weights: path, device: device)
        return try FrechetEvaluation(name: "fid", samples: samples) { try network.features($0) }
    }

    /// The distance for `generator`'s images of z drawn from `seed` (the same codes at every evaluation).
    func callAsFunction(_ generator: StyleGAN2Generator, data: ImageDataset, seed: UInt64) throws -> Double {
        guard data.source.count >= samples else {
            throw StyleGAN2TrainingError("\(name): \(samples) samples asked for, the data set has \(data.source.count) images")
        }
        let device = generator.parameters().first?.device ?? .cpu
        if reference == nil {
            var parts: [Tensor] = []
            for start in stride(from: 0, to: samples, by: batchSize) {
                let images = try (start..<Swift.min(start + batchSize, samples)).map { try data.image(at: $0) }
                parts.append(try features(Tensor.stack(images, dim: 0).to(device: device)))
            }
            reference = try FeatureStatistics(features: Tensor.cat(parts, dim: 0))
        }
        let rng = try Torch.Generator(seed: seed)
        var parts: [Tensor] = []
        try withNoGrad {
            for start in stride(from: 0, to: samples, by: batchSize) {
                let n = Swift.min(batchSize, samples - start)
                let z = try Tensor.randn([n, generator.config.styleDim], generator: rng).to(device: device)
                let images = try generator.synthesis(generator.latents([z]), noise: .random(seed: seed &+ UInt64(start)))
                parts.append(try features(images.clamp(min: -1, max: 1)))
            }
        }
        return try Metrics.frechetDistance(FeatureStatistics(features: Tensor.cat(parts, dim: 0)), reference!)
    }
}
