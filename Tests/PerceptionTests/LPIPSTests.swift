import Checkpoints
import TestSupport
import Testing
import Torch
@testable import Perception

/// LPIPS structure, loading, gradients and multi-scale use, on freshly initialised weights.
@Suite("LPIPS")
struct LPIPSTests {
    init() throws { try Runtime.start() }

    /// Inputs in [-1, 1].
    func images(_ shape: [Int], seed: UInt64, dtype: DType = .float32) throws -> Tensor {
        try (Tensor.rand(shape, dtype: dtype, generator: Generator(seed: seed)) * 2 - 1)
    }

    @Test func stateDictKeysAreTorchvisionsAndLPIPSs() throws {
        let convs: [LPIPS.Network: [Int]] = [
            .alex: [0, 3, 6, 8, 10], .vgg: [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28],
        ]
        for (network, indices) in convs {
            let model = try LPIPS(network: network)
            let expected = indices.flatMap { ["net.features.\($0).weight", "net.features.\($0).bias"] }
                + (0..<5).map { "lin\($0).model.1.weight" }
            #expect(try model.stateDict().names == expected, "\(network)")
        }
    }

    @Test func tapsAreTheReLUOutputsOfEachStage() throws {
        // AlexNet at 64: conv 11/4 pad 2 -> (64 + 4 - 11) / 4 + 1 = 15; pool 3/2 -> 7; conv 5 pad 2 keeps 7;
        // pool -> 3; the 3x3 pad-1 convolutions keep 3.
        let alex = try LPIPSBackbone(.alex)
        let alexTaps = try alex(images([2, 3, 64, 64], seed: 1))
        #expect(alexTaps.map(\.shape)
            == [[2, 64, 15, 15], [2, 192, 7, 7], [2, 384, 3, 3], [2, 256, 3, 3], [2, 256, 3, 3]])
        // VGG16 halves before stages 2 to 5.
        let vgg = try LPIPSBackbone(.vgg)
        let vggTaps = try vgg(images([1, 3, 32, 32], seed: 2))
        #expect(vggTaps.map(\.shape)
            == [[1, 64, 32, 32], [1, 128, 16, 16], [1, 256, 8, 8], [1, 512, 4, 4], [1, 512, 2, 2]])
        for taps in [alexTaps, vggTaps] {
            for t in taps { #expect(try t.min().item() >= 0, "taps are ReLU outputs") }
        }
        // The layer before each tap is the ReLU.
        for backbone in [alex, vgg] {
            for end in backbone.tapEnds { #expect(backbone.features[end - 1] is ReLU) }
        }
    }

    @Test func parameterCounts() throws {
        /// (in, out, kernel) -> weights out x in x k x k plus out biases.
        func convParameters(_ layers: [(Int, Int, Int)]) -> Int {
            layers.reduce(0) { $0 + $1.1 * $1.0 * $1.2 * $1.2 + $1.1 }
        }
        let alex = convParameters([(3, 64, 11), (64, 192, 5), (192, 384, 3), (384, 256, 3), (256, 256, 3)])
        let vggWidths = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                         (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
        let vgg = convParameters(vggWidths.map { ($0.0, $0.1, 3) })
        #expect(try LPIPS(network: .alex).net.parameterCount == alex)
        #expect(try LPIPS(network: .alex).parameterCount == alex + 64 + 192 + 384 + 256 + 256)
        #expect(try LPIPS(network: .vgg).parameterCount == vgg + 64 + 128 + 256 + 512 + 512)
    }

    @Test func flopsAt224() throws {
        // AlexNet at 224: conv0 (224 + 4 - 11) / 4 + 1 = 55, pool 27, conv3 27, pool 13, conv6/8/10 13.
        let backbone = 2 * (55 * 55 * 64 * 3 * 121 + 27 * 27 * 192 * 64 * 25
            + 13 * 13 * (384 * 192 * 9 + 256 * 384 * 9 + 256 * 256 * 9))
        let lins = 2 * (55 * 55 * 64 + 27 * 27 * 192 + 13 * 13 * (384 + 256 + 256))
        let model = try LPIPS(network: .alex)
        #expect(try model.net.flops(inputShape: [1, 3, 224, 224]) == backbone)
        #expect(try model.flops(inputShape: [1, 3, 224, 224]) == 2 * backbone + lins)
        #expect(try model.flops(inputShape: [4, 3, 224, 224]) == 4 * (2 * backbone + lins))
    }

    @Test func smallestInputs() throws {
        // AlexNet: pool 2 needs pool 1's output >= 3, so pool 1 needs >= 7, so conv 0 needs (H - 7) / 4 + 1 >= 7,
        // H >= 31. VGG16 pools four times before relu5_3: H >= 16.
        let alex = try LPIPS(network: .alex)
        let vgg = try LPIPS(network: .vgg)
        #expect(alex.net.minimumInputSize == 31)
        #expect(vgg.net.minimumInputSize == 16)
        _ = try alex(images([1, 3, 31, 31], seed: 3), images([1, 3, 31, 31], seed: 4))
        #expect(throws: TorchError.self) { try alex(images([1, 3, 30, 30], seed: 3), images([1, 3, 30, 30], seed: 4)) }
        _ = try vgg(images([1, 3, 16, 16], seed: 3), images([1, 3, 16, 16], seed: 4))
        #expect(throws: TorchError.self) { try vgg(images([1, 3, 15, 16], seed: 3), images([1, 3, 15, 16], seed: 4)) }
    }

    @Test func rejectsMismatchedInputs() throws {
        let model = try LPIPS(network: .alex)
        let x = try images([2, 3, 64, 64], seed: 5)
        #expect(throws: TorchError.self) { try model(x, images([1, 3, 64, 64], seed: 6)) }
        #expect(throws: TorchError.self) { try model(x, images([2, 3, 64, 48], seed: 6)) }
        #expect(throws: TorchError.self) { try model(images([2, 1, 64, 64], seed: 6), images([2, 1, 64, 64], seed: 7)) }
        #expect(throws: TorchError.self) { try model(x.to(dtype: .float64), x.to(dtype: .float64)) }
    }

    @Test func distanceProperties() throws {
        let model = try LPIPS(network: .alex)
        // Non-negative linear weights, as in the published files, make every layer term a weighted sum of squares.
        try withNoGrad { for lin in model.lins { try lin.conv.weight.copy_(lin.conv.weight.abs()) } }
        let x = try images([3, 3, 48, 48], seed: 8)
        let y = try images([3, 3, 48, 48], seed: 9)
        let dxy = try model(x, y)
        #expect(dxy.shape == [3])
        try expectClose(dxy, try model(y, x), tol: 1e-6, "symmetric")
        #expect(try model(x, x).abs().max().item() == 0)
        #expect(try dxy.min().item() > 0)
        let map = try model.spatialDistance(x, y)
        #expect(map.shape == [3, 1, 48, 48])
        #expect(try map.min().item() >= 0)
    }

    @Test func linearLayersMustMatch() throws {
        let alex = try LPIPS(network: .alex)
        let vggLayers = try TorchCheckpoint.load(LPIPS.bundledLinearLayers(.vgg).path).stateDict()
        #expect(throws: StateDictError.self) { try alex.loadLinearLayers(vggLayers) }
        var extra = try TorchCheckpoint.load(LPIPS.bundledLinearLayers(.alex).path).stateDict()
        extra["scaling_layer.shift"] = try Tensor.zeros([1, 3, 1, 1])
        #expect(throws: TorchError.self) { try alex.loadLinearLayers(extra) }
        extra["scaling_layer.shift"] = nil
        extra["lin4.model.1.weight"] = nil
        #expect(throws: TorchError.self) { try alex.loadLinearLayers(extra) }
        try LPIPS(network: .vgg).loadLinearLayers(vggLayers)
    }

    @Test func backboneMustMatch() throws {
        var trunk = try LPIPS(network: .alex).net.stateDict()
        trunk["features.10.bias"] = nil
        #expect(throws: StateDictError.self) { try LPIPS(network: .alex).loadBackbone(trunk) }
    }

    @Test func frozenAndAlwaysEvaluating() throws {
        let model = try LPIPS(network: .alex)
        #expect(model.parameters().allSatisfy { !$0.requiresGrad })
        let x = try images([2, 3, 40, 40], seed: 10)
        let y = try images([2, 3, 40, 40], seed: 11)
        let before = try model(x, y)
        model.train()
        #expect(model.modules().allSatisfy { !$0.isTraining })
        try expectClose(try model(x, y), before, tol: 0, "no dropout after train()")
    }

    /// Gradients reach the inputs (LPIPS as a loss) and match a central difference along a random direction,
    /// in float64; the frozen weights receive none. The weights are drawn from a seeded generator (the layers' own
    /// initialisers draw from libtorch's, which tests running beside this one draw from too), so the ReLU kinks the
    /// difference may straddle are the same on every run.
    @Test func gradientsFlowToTheInputs() throws {
        let model = try LPIPS(network: .alex).to(dtype: .float64)
        let weights = try Generator(seed: 15)
        try withNoGrad {
            for p in model.parameters() {
                if p.rank >= 2 {
                    try Init.kaimingUniform_(p, a: 5.0.squareRoot(), generator: weights)
                } else {
                    try Init.uniform_(p, bound: 0.05, generator: weights)
                }
            }
            // The linear layers weigh each channel's squared difference: keep them positive, as trained ones are.
            for p in model.parameters() where p.rank == 4 && p.size(0) == 1 { try p.copy_(p.abs()) }
        }
        let x = try images([2, 3, 36, 36], seed: 12, dtype: .float64).requiresGrad(true)
        let y = try images([2, 3, 36, 36], seed: 13, dtype: .float64)
        let loss = try model(x, y).sum()
        try loss.backward()
        let grad = try #require(try x.grad)
        #expect(try grad.abs().max().item() > 0)
        #expect(try grad.isfinite().all().item() == 1)
        for p in model.parameters() { #expect(try p.grad == nil) }

        let v = try Tensor.randn([2, 3, 36, 36], dtype: .float64, generator: Generator(seed: 14))
        let eps = 1e-7
        let numerical = try withNoGrad {
            let base = try x.detach()
            let plus = try model(base + v * eps, y).sum().item()
            let minus = try model(base - v * eps, y).sum().item()
            return (plus - minus) / (2 * eps)
        }
        let analytic = try (grad * v).sum().item()
        #expect(abs(analytic - numerical) <= 1e-5 * max(1, abs(numerical)),
                "analytic \(analytic) numerical \(numerical)")
    }

    /// The trainer halves with bilinear interpolation at scale 0.5, which on even sizes averages 2x2 blocks.
    @Test func multiScaleSumsHalvings() throws {
        let model = try LPIPS(network: .alex)
        let x = try images([2, 3, 128, 128], seed: 15)
        let y = try images([2, 3, 128, 128], seed: 16)
        let half = (try F.avgPool2d(x, kernel: (2, 2)), try F.avgPool2d(y, kernel: (2, 2)))
        let quarter = (try F.avgPool2d(half.0, kernel: (2, 2)), try F.avgPool2d(half.1, kernel: (2, 2)))
        let expected = try model(x, y) + model(half.0, half.1) + model(quarter.0, quarter.1)
        try expectClose(try model.multiScale(x, y), expected, tol: 1e-6, "three scales")
        try expectClose(try model.multiScale(x, y, scales: 1), try model(x, y), tol: 0, "one scale")
        let (small, smallY) = (try x.slice(2, 0, 64).slice(3, 0, 64), try y.slice(2, 0, 64).slice(3, 0, 64))
        #expect(throws: TorchError.self) { try model.multiScale(small, smallY) }
    }

    @Test func bfloat16Forward() throws {
        let model = try LPIPS(network: .alex)
        try withNoGrad { for lin in model.lins { try lin.conv.weight.copy_(lin.conv.weight.abs()) } }
        let x = try images([2, 3, 64, 64], seed: 17)
        let y = try images([2, 3, 64, 64], seed: 18)
        let reference = try model(x, y)
        try model.to(dtype: .bfloat16)
        let half = try model(x.to(dtype: .bfloat16), y.to(dtype: .bfloat16))
        #expect(half.dtype == .bfloat16)
        let relative = try ((half.to(dtype: .float32) - reference).abs() / reference).max().item()
        #expect(relative < 0.05, "bfloat16 relative error \(relative)")
        #expect(throws: TorchError.self) { try model(x, y) }
    }
}
