import Perception
import StyleGAN
import TestSupport
import Testing
import Torch

@testable import EncoderTraining

/// `--precision bfloat16`: the frozen loss networks compute in bfloat16 and the losses and their gradients come out
/// close to float32's (same weights, same images).
@Suite(.serialized)
struct LossPrecisionTests {
    init() throws { try Runtime.start() }

    /// Each logged term within 3% of float32's, or 5e-3 where it is near 0 (1 - cos of embeddings rounded to
    /// bfloat16's 8 bits is about 2e-3 off), the networks' terms not exactly float32's, and the gradients to ŷ pointing
    /// the same way.
    static func compare(_ f32: [(String, Double)], _ bf16: [(String, Double)], gradients: (Tensor, Tensor),
                        networkTerms: Set<String>) throws
    {
        #expect(f32.map(\.0) == bf16.map(\.0))
        for ((name, a), (_, b)) in zip(f32, bf16) where name != "id_improve" {
            #expect(abs(a - b) <= max(0.03 * abs(a), 5e-3), "\(name): float32 \(a), bfloat16 \(b)")
            if networkTerms.contains(name) {
                #expect(a != b, "\(name): bfloat16 gave float32's value exactly; the network did not run in bfloat16")
            }
        }
        let (g32, g16) = gradients
        #expect(g16.dtype == .float32)
        let cosine = try F.cosineSimilarity(g32.flatten(), g16.flatten(), dim: 0, eps: 1e-12).item()
        #expect(cosine > 0.95, "gradient cosine \(cosine)")
    }

    @Test func encoderLossNetworks() throws {
        let fixture = try TrainingFixture("e2style-step")
        let parser = try fixture.filled(UNetFaceParser(config: .official), "parsenet")
        let rng = try Torch.Generator(seed: 3)
        let y = try Tensor.rand([2, 3, 256, 256], generator: rng) * 2 - 1
        let yHat0 = try (y + Tensor.randn([2, 3, 256, 256], generator: rng) * 0.2).clamp(min: -1, max: 1)
        let latent = try Tensor.randn([2, 14, 512], generator: rng)
        func run(_ precision: ComputePrecision, multiLayer: Bool) throws -> ([(String, Double)], Tensor) {
            let networks = try fixture.lossNetworks(parser: parser, precision: precision)
            #expect(try networks.identity?.parameters().first?.dtype == precision.dtype)
            let weights: [EncoderLossTerm: Double] = [.id: 0.5, .parse: multiLayer ? 1 : 0, .l2: 1, .lpips: 0.8, .lpipsCrop: 0.5]
            let loss = EncoderLoss(weights: weights, networks: networks, multiLayerIdentity: multiLayer)
            let yHat = try yHat0.clone().requiresGrad(true)
            let (total, logged) = try loss(x: y, y: y, yHat: yHat, latent: latent, latentAvg: nil)
            try total.backward()
            return (logged, try #require(try yHat.grad))
        }
        for multiLayer in [false, true] {
            let (a, ga) = try run(.float32, multiLayer: multiLayer)
            let (b, gb) = try run(.bfloat16, multiLayer: multiLayer)
            try Self.compare(a, b, gradients: (ga, gb), networkTerms: ["loss_id", "loss_parse", "loss_lpips", "loss_lpips_crop"])
        }
    }

    @Test func featureStyleLossNetworks() throws {
        let fixture = try TrainingFixture("fs-step")
        let rng = try Torch.Generator(seed: 4)
        let y = try Tensor.rand([2, 3, 64, 64], generator: rng) * 2 - 1
        let yHat0 = try (y + Tensor.randn([2, 3, 64, 64], generator: rng) * 0.2).clamp(min: -1, max: 1)
        func run(_ precision: ComputePrecision) throws -> ([(String, Double)], Tensor) {
            let networks = try FeatureStyleLossNetworks(
                lpips: LPIPS(network: .alex, backbone: Fixtures.path("lpips-alex/alexnet_backbone.pt")),
                identity: .iresnet(fixture.filled(IResNet50(), "arcface")),
                parser: fixture.filled(BiSeNet(config: .official), "parsing"), precision: precision)
            #expect(try networks.parser?.parameters().first?.dtype == precision.dtype)
            let loss = FeatureStyleLoss(config: FeatureStyleTrainingConfig(resolution: 64, multiscaleLpips: false),
                                        networks: networks)
            let yHat = try yHat0.clone().requiresGrad(true)
            let terms = [("lpips", try loss.lpips(yHat, y)),
                         ("id", try loss.identity(yHat, targets: loss.identityTargets(y))),
                         ("landmark", try loss.landmark(yHat, targets: loss.landmarkTargets(y)))]
            try terms.map(\.1).reduce(Tensor.zeros([]), +).backward()
            return (try terms.map { ($0.0, try $0.1.item()) }, try #require(try yHat.grad))
        }
        let (a, ga) = try run(.float32)
        let (b, gb) = try run(.bfloat16)
        try Self.compare(a, b, gradients: (ga, gb), networkTerms: ["lpips", "id", "landmark"])
    }
}
