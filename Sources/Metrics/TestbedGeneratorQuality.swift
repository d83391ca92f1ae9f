import Perception
import StyleGAN
import Testbed
import Torch

/// A generator trained on the testbed, measured against the testbed itself: the Fréchet distance and improved
/// precision / recall (k = 3) in the testbed's feature network (the attribute classifier's pooled features, its
/// FID network) between `count` generated images and the first `count` held-out test renders, beside the same
/// figures for the next `count` test renders against those (the floor: what a perfect generator would score with
/// this many images).
public struct TestbedGeneratorQuality: Sendable {
    public struct Figures: Sendable, Equatable {
        public let frechetDistance: Double
        public let precision: Double
        public let recall: Double
    }

    public let generated: Figures
    public let floor: Figures
    public let count: Int

    /// Images from `generator` (z ~ N(0, I) from `seed`, random noise maps, no truncation) at its own size, which
    /// must be one the renderer draws (64, 128, 256 or 512); `classifier` is `Models/testbed/attributes.safetensors`.
    public static func measure(_ generator: StyleGAN2Generator, classifier: ResNet18Classifier, count: Int = 2000,
                               seed: UInt64 = 0, chunk: Int = 100, device: Device = .cpu) throws -> TestbedGeneratorQuality
    {
        let size = generator.config.size
        guard TestbedRenderer.sizes.contains(size) else {
            throw TorchError("testbed generator quality: the generator draws \(size)-pixel images; the testbed renders "
                + TestbedRenderer.sizes.map(String.init).joined(separator: ", "))
        }
        guard count >= 4 else { throw TorchError("testbed generator quality: count must be at least 4, got \(count)") }
        let renderer = try TestbedRenderer(size: size, device: device)
        let rng = try Torch.Generator(seed: seed)
        let fake = try TestbedFeatures.features(classifier, count: count, chunk: chunk) { range in
            let z = try Tensor.randn([range.count, generator.config.styleDim], generator: rng).to(device: device)
            let w = try generator.mapping(z).unsqueeze(1).expand([range.count, generator.nLatent, generator.config.styleDim])
            return try generator.synthesis(w, noise: .random(seed: seed &+ UInt64(range.lowerBound))).clamp(min: -1, max: 1)
        }
        func renders(_ indices: Range<Int>) throws -> Tensor {
            try TestbedFeatures.features(classifier, renderer: renderer, split: .test, indices: indices, chunk: chunk)
        }
        let real = try renders(0..<count)
        let other = try renders(count..<(2 * count))
        func figures(_ a: Tensor, _ b: Tensor) throws -> Figures {
            let fd = try Metrics.frechetDistance(FeatureStatistics(features: a), FeatureStatistics(features: b))
            let (precision, recall) = try Metrics.precisionRecall(real: a, generated: b)
            return Figures(frechetDistance: fd, precision: precision, recall: recall)
        }
        return TestbedGeneratorQuality(generated: try figures(real, fake), floor: try figures(real, other), count: count)
    }
}
