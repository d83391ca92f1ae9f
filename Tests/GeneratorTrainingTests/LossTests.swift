import Foundation
import GeneratorTraining
import StyleGAN
import Testing
import Torch
import Training

/// The losses, penalties and latent sampling on inputs whose answers are known in closed form.
@Suite("GeneratorTraining losses")
struct LossTests {
    init() throws { try Runtime.start() }

    @Test func logisticLossesAtKnownLogits() throws {
        let zero = try Tensor.zeros([3, 1])
        let d = try GANLoss.discriminatorLogistic(realPredictions: zero, fakePredictions: zero).item()
        #expect(abs(d - 2 * log(2.0)) < 1e-6)
        // softplus(-2) for the real, softplus(-1) for the fake logits.
        let real = try Tensor([Float(2), 2], shape: [2, 1])
        let fake = try Tensor([Float(-1), -1], shape: [2, 1])
        let expected = log(1 + exp(-2.0)) + log(1 + exp(-1.0))
        #expect(abs(try GANLoss.discriminatorLogistic(realPredictions: real, fakePredictions: fake).item() - expected) < 1e-6)
        #expect(abs(try GANLoss.generatorNonSaturating(fakePredictions: fake).item() - log(1 + exp(1.0))) < 1e-6)
    }

    @Test func r1OfALinearCriticIsItsSquaredWeight() throws {
        let g = try Torch.Generator(seed: 2)
        let w = try Tensor.randn([1, 3, 4, 4], generator: g).requiresGrad(true)
        let x = try Tensor.randn([5, 3, 4, 4], generator: g).requiresGrad(true)
        let predictions = try (x * w).sum([1, 2, 3])
        let r1 = try GANLoss.r1Penalty(realPredictions: predictions, realImages: x)
        #expect(abs(try r1.item() - w.square().sum().item()) < 1e-4)
        // Differentiable in the critic's weight: d|w|²/dw = 2w.
        let grad = try #require(try gradients(of: r1, wrt: [w])[0])
        #expect(try (grad - w * 2).abs().max().item() < 1e-5)
    }

    @Test func r1ThroughTheAugmentationIsDifferentiable() throws {
        // train.py's lazy R1 with ADA: the penalty is taken on the un-augmented reals, and its gradient in the
        // discriminator's weights runs the augmentation's and the discriminator's backward twice.
        let g = try Torch.Generator(seed: 8)
        let d = try Discriminator(DiscriminatorConfig(size: 8, channels: [2, 2]), generator: g).to(dtype: .float64)
        let transforms = try AugmentTransforms.sample(p: 1, batch: 2, height: 8, width: 8, generator: g)
        let x = try Tensor.randn([2, 3, 8, 8], dtype: .float64, generator: g)
        let weights = d.namedParameters().filter { $0.name.hasPrefix("final_conv") || $0.name.hasPrefix("convs.1.conv2") }
        try GradCheck.verify(inputs: [x], parameters: weights) { inputs in
            try GANLoss.r1Penalty(realPredictions: d(AugmentPipeline.apply(inputs[0], transforms)), realImages: inputs[0])
        }
    }

    @Test func r1NeedsImagesThatRequireGradients() throws {
        let x = try Tensor.ones([2, 3, 4, 4])
        #expect(throws: TorchError.self) { try GANLoss.r1Penalty(realPredictions: x.sum([1, 2, 3]), realImages: x) }
    }

    @Test func pathLengthOfALinearMapAndTheRunningMean() throws {
        let g = try Torch.Generator(seed: 4)
        let latents = try Tensor.randn([2, 3, 4], generator: g).requiresGrad(true)
        let images = try latents.view([2, 3, 2, 2]) * 2
        let direction = try Tensor.randn([2, 3, 2, 2], generator: g)
        var regularizer = PathLengthRegularizer(meanPathLength: 0)
        let result = try regularizer.penalty(images: images, latents: latents, direction: direction)
        // J^T y = 2 y: lengths sqrt(mean over the 3 rows of the sum over 4 dims of (2y)²).
        let expected = try (direction * 2).view([2, 3, 4]).square().sum([2]).mean([1]).sqrt()
        #expect(try (result.pathLengths - expected).abs().max().item() < 1e-6)
        let mean = try 0.01 * expected.mean().item()
        #expect(abs(result.pathMean - mean) < 1e-6)
        #expect(regularizer.meanPathLength == result.pathMean)
        #expect(abs(try result.penalty.item() - (expected - mean).square().mean().item()) < 1e-6)
        // A second batch moves the mean from where the first left it.
        let again = try regularizer.penalty(images: images, latents: latents, direction: direction)
        #expect(abs(again.pathMean - (mean + 0.01 * (try expected.mean().item() - mean))) < 1e-6)
    }

    @Test func mixingProbabilityAndInjectIndex() throws {
        let g = try Torch.Generator(seed: 9)
        var mixed = 0
        for _ in 0..<400 {
            let s = try LatentSample.sample(batch: 2, styleDim: 8, nLatent: 10, mixing: 0.9, generator: g)
            #expect(s.codes.allSatisfy { $0.shape == [2, 8] })
            if let inject = s.injectIndex {
                mixed += 1
                #expect(s.codes.count == 2 && (1..<10).contains(inject))
            } else {
                #expect(s.codes.count == 1)
            }
        }
        #expect((340...380).contains(mixed), "mixed \(mixed) of 400 at probability 0.9")
        let never = try LatentSample.sample(batch: 2, styleDim: 8, nLatent: 10, mixing: 0, generator: g)
        #expect(never.codes.count == 1 && never.injectIndex == nil)
    }

    @Test func latentSamplesAreSeeded() throws {
        let a = try LatentSample.sample(batch: 3, styleDim: 4, nLatent: 6, mixing: 1, generator: Torch.Generator(seed: 5))
        let b = try LatentSample.sample(batch: 3, styleDim: 4, nLatent: 6, mixing: 1, generator: Torch.Generator(seed: 5))
        #expect(a.injectIndex == b.injectIndex)
        for (x, y) in zip(a.codes, b.codes) { #expect(try x.floats() == y.floats()) }
        #expect(try a.codes[0].floats() != a.codes[1].floats())
    }
}
