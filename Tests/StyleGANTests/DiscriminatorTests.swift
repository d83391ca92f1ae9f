import Checkpoints
import Foundation
import TestSupport
import Testing
import Torch
@testable import StyleGAN

/// The rosinality discriminator: its keys, channel plans, checkpoint loading, FLOP count and gradients.
@Suite("Discriminator")
struct DiscriminatorTests {
    init() throws { try Runtime.start() }

    static let fixture = "stylegan2-training64/discriminator.pt"

    @Test func keysAndShapesAreRosinalitys() throws {
        // Built from the plan alone, the module has exactly the fixture checkpoint's keys and shapes.
        let root = try TorchCheckpoint.load(Fixtures.path(Self.fixture))
        let reference = try root["d"].stateDict().dictionary.mapValues(\.shape)
        let d = try Discriminator(DiscriminatorConfig(size: 64, plan: .rosinality(channelMultiplier: 2, divisor: 8)))
        let ours = try d.stateDict().dictionary.mapValues(\.shape)
        #expect(ours == reference)
        #expect(try d.stateDict().names.prefix(4) == ["convs.0.0.weight", "convs.0.1.bias", "convs.1.conv1.0.weight",
                                                       "convs.1.conv1.1.bias"])
    }

    @Test func fixtureLoadsStrictlyWithItsArchitecture() throws {
        let d = try DiscriminatorCheckpoint.load(Fixtures.path(Self.fixture))
        #expect(d.config.size == 64)
        #expect(d.config.channels == [64, 64, 64, 64, 64])
        #expect(d.config.blurKernel == [1, 3, 3, 1])
        #expect(d.config.stddevFeatures == 1)
        #expect(d.parameterCount == 415_233)
    }

    @Test func channelPlans() throws {
        // rosinality at multiplier 2 is StyleGAN2-ADA at cbase 32768, cmax 512; multiplier 1 is cbase 16384.
        for size in [8, 64, 256, 1024] {
            #expect(try ChannelPlan.rosinality(channelMultiplier: 2).channels(upTo: size)
                == ChannelPlan.stylegan2ADA(cbase: 32768, cmax: 512).channels(upTo: size))
            #expect(try ChannelPlan.rosinality(channelMultiplier: 1).channels(upTo: size)
                == ChannelPlan.stylegan2ADA(cbase: 16384, cmax: 512).channels(upTo: size))
        }
        #expect(try ChannelPlan.rosinality(channelMultiplier: 2).channels(upTo: 256) == [512, 512, 512, 512, 512, 256, 128])
        #expect(try ChannelPlan.rosinality(channelMultiplier: 2, divisor: 8).channels(upTo: 128) == [64, 64, 64, 64, 64, 32])
        #expect(try ChannelPlan.stylegan2ADA(cbase: 2048, cmax: 64).channels(upTo: 64) == [64, 64, 64, 64, 32])
        #expect(throws: TorchError.self) { try ChannelPlan.rosinality(channelMultiplier: 2, divisor: 0).channels(upTo: 64) }
        let g = try GeneratorConfig(size: 64, styleDim: 32, nMLP: 2, plan: .stylegan2ADA(cbase: 1024, cmax: 32))
        #expect(g.channels == [32, 32, 32, 32, 16])
    }

    @Test func forwardShapesAndStddevGroups() throws {
        let d = try Discriminator(DiscriminatorConfig(size: 16, channels: [8, 4, 4]), generator: Torch.Generator(seed: 1))
        for batch in [1, 2, 3, 4, 8] {
            #expect(try d(Tensor.randn([batch, 3, 16, 16])).shape == [batch, 1])
        }
        // 6 is not a multiple of min(6, 4) = 4.
        #expect(throws: TorchError.self) { try d(Tensor.randn([6, 3, 16, 16])) }
        #expect(throws: TorchError.self) { try d(Tensor.randn([2, 3, 32, 32])) }
    }

    @Test func minibatchStddevFollowsTheInterleavedGroups() throws {
        let g = try Torch.Generator(seed: 3)
        let x = try Tensor.randn([8, 6, 3, 3], generator: g)
        let out = try minibatchStddev(x, group: 4, features: 2)
        #expect(out.shape == [8, 8, 3, 3])
        try expectClose(try out.slice(1, 0, 6), x, tol: 0, "features pass through")
        // Sample i sits at position i % 2 of the 4 groups {p, p + 2, p + 4, p + 6}; feature f spans channels 3f..<3f+3.
        for i in 0..<8 {
            let members = try Tensor.stack((0..<4).map { try x.select(0, i % 2 + 2 * $0) })  // [4, 6, 3, 3]
            for f in 0..<2 {
                let part = try members.slice(1, 3 * f, 3 * f + 3)
                let expected = try (part.variance([0], correction: 0) + 1e-8).sqrt().mean().item()
                let map = try out.select(0, i).select(0, 6 + f)
                #expect(try (map - expected).abs().max().item() < 1e-6)
            }
        }
    }

    @Test func minibatchStddevGradient() throws {
        let x = try Tensor.randn([4, 4, 2, 2], dtype: .float64, generator: Torch.Generator(seed: 5))
        try GradCheck.verify(inputs: [x]) { try minibatchStddev($0[0], group: 2, features: 2) }
    }

    @Test func discriminatorGradientInItsInputAndWeights() throws {
        let d = try Discriminator(DiscriminatorConfig(size: 8, channels: [3, 2]), generator: Torch.Generator(seed: 6))
        try d.to(dtype: .float64)
        let x = try Tensor.randn([2, 3, 8, 8], dtype: .float64, generator: Torch.Generator(seed: 7))
        let weights = d.namedParameters().filter { $0.name.hasSuffix("conv2.1.weight") || $0.name.hasPrefix("final") }
        try GradCheck.verify(inputs: [x], parameters: weights) { try d($0[0]) }
    }

    @Test func flopsCountEveryConvolutionAndLinearLayer() throws {
        let (c4, c8, n) = (5, 3, 2)
        let d = try Discriminator(DiscriminatorConfig(size: 8, channels: [c4, c8]))
        let input = 2 * n * 64 * c8 * 3  // 1x1, 8x8
        let conv1 = 2 * n * 64 * c8 * c8 * 9  // 3x3, 8x8
        let conv2 = 2 * n * 16 * c4 * c8 * 9  // blur to 9x9, 3x3 stride 2 -> 4x4
        let skip = 2 * n * 16 * c4 * c8  // blur to 7x7, 1x1 stride 2 -> 4x4
        let final = 2 * n * 16 * c4 * (c4 + 1) * 9
        let linear = 2 * n * (16 * c4 * c4 + c4)
        #expect(d.flops(batch: n) == input + conv1 + conv2 + skip + final + linear)
    }

    @Test func badCheckpointsNameTheFileAndTheProblem() throws {
        let generatorFile = try Fixtures.path("stylegan2-tiny64/generator.pt")
        do {
            _ = try DiscriminatorCheckpoint.load(generatorFile)
            Issue.record("a generator file loaded as a discriminator")
        } catch let error as CheckpointError {
            #expect(error.file == generatorFile)
            #expect(error.message.contains("discriminator"), "\(error)")
        }
        var weights = try TorchCheckpoint.load(Fixtures.path(Self.fixture))["d"].stateDict().dictionary
        weights["final_linear.1.bias"] = nil
        weights["extra"] = try Tensor.zeros([1])
        do {
            _ = try DiscriminatorCheckpoint.build(weights: weights)
            Issue.record("an incomplete state dict loaded")
        } catch let error as StateDictError {
            #expect(error.missingKeys == ["final_linear.1.bias"])
            #expect(error.unexpectedKeys == ["extra"])
        }
        #expect(throws: CheckpointError.self) { try DiscriminatorCheckpoint.load("/nonexistent/discriminator.pt") }
    }
}
