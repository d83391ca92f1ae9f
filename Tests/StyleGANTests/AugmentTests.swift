import Checkpoints
import Foundation
import TestSupport
import Testing
import Torch
@testable import StyleGAN

/// The ADA pipeline against rosinality's `non_leaking.py`, run on this machine with its random draws recorded
/// (Resources/augment-parity.safetensors: per case the images, p, each transform's value and applied draw, the
/// matrices G and C it composed, and the augmented images); its gradients; the sampler; adaptive p.
@Suite("ADA augmentation")
struct AugmentTests {
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        let path = Fixtures.packageRoot.appendingPathComponent("Tests/StyleGANTests/Resources/augment-parity.safetensors")
        cases = try Safetensors.read(path.path).tensors.dictionary
    }

    func ref(_ key: String) throws -> Tensor {
        guard let t = cases[key] else { throw TorchError("augmentation case \(key) missing") }
        return t
    }

    /// The recorded draws of `case` as parameters.
    func parameters(_ c: Int) throws -> AugmentParameters {
        func draw(_ name: String) throws -> AugmentParameters.Draw {
            .init(value: try ref("case\(c).\(name).value"), applied: try ref("case\(c).\(name).applied"))
        }
        return try AugmentParameters(
            xflip: draw("xflip"), rotate90: draw("rotate90"), xint: draw("xint"), scale: draw("scale"),
            preRotate: draw("rotate_pre"), aniso: draw("aniso"), postRotate: draw("rotate_post"), xfrac: draw("xfrac"),
            brightness: draw("brightness"), contrast: draw("contrast"), lumaflip: draw("lumaflip"), hue: draw("hue"),
            saturation: draw("saturation"))
    }

    @Test(arguments: [0, 1, 2])
    func matricesFromTheSameDrawsMatchRosinality(case c: Int) throws {
        let images = try ref("case\(c).images")
        let t = try AugmentTransforms(parameters(c), height: images.size(2), width: images.size(3))
        try expectClose(t.geometric, try ref("case\(c).geometric"), tol: 1e-6, "case \(c) G")
        try expectClose(t.color, try ref("case\(c).color"), tol: 1e-6, "case \(c) C")
    }

    @Test(arguments: [0, 1, 2])
    func augmentedImagesMatchRosinality(case c: Int) throws {
        let images = try ref("case\(c).images")
        let given = try AugmentTransforms(geometric: ref("case\(c).geometric"), color: ref("case\(c).color"))
        try expectClose(try AugmentPipeline.apply(images, given), try ref("case\(c).augmented"), "case \(c) augmented")
        // The whole path from the draws.
        let composed = try AugmentTransforms(parameters(c), height: images.size(2), width: images.size(3))
        try expectClose(try AugmentPipeline.apply(images, composed), try ref("case\(c).augmented"), "case \(c) from draws")
    }

    @Test func drawsForDifferentBatchesAreRefused() throws {
        var p = try parameters(0)
        p.hue = .init(value: try Tensor.zeros([3]), applied: try Tensor.ones([3]))
        #expect(throws: TorchError.self) { try AugmentTransforms(p, height: 24, width: 24) }
        p = try parameters(0)
        p.xfrac = .init(value: try Tensor.zeros([4]), applied: try Tensor.ones([4]))
        #expect(throws: TorchError.self) { try AugmentTransforms(p, height: 24, width: 24) }
    }

    @Test func geometricPaddingMatchesTheReferenceFormula() throws {
        // The corners' reach beyond the frame plus 2 x (12 / 4) pixels for the filter, capped at the size - 1.
        let eye = try Tensor.eye(3).unsqueeze(0)
        #expect(try AugmentGeometry.padding(eye, height: 16, width: 16, kernelSize: 12) == (6, 6, 6, 6))
        #expect(try AugmentGeometry.padding(eye, height: 4, width: 4, kernelSize: 12) == (3, 3, 3, 3))
        // Shifted by (2.3, -1) on 16 x 8: left 7.5 - 2.3 + 6 - 7.5 = 3.7, right 9.8 + 6 - 7.5 = 8.3,
        // top 4.5 + 6 - 3.5 = 7, bottom 2.5 + 6 - 3.5 = 5.
        let shift = try AugmentTransforms.translate(Tensor([Float(2.3)]), Tensor([Float(-1)]))
        #expect(try AugmentGeometry.padding(shift, height: 8, width: 16, kernelSize: 12) == (4, 9, 7, 5))
    }

    @Test func gradientReachesTheImages() throws {
        let t = try AugmentTransforms(parameters(0), height: 24, width: 24)
        let one = try AugmentTransforms(geometric: t.geometric.slice(0, 0, 2), color: t.color.slice(0, 0, 2))
        let x = try Tensor.randn([2, 3, 6, 6], dtype: .float64, generator: Torch.Generator(seed: 1))
        try GradCheck.verify(inputs: [x]) { try AugmentPipeline.apply($0[0], one) }
    }

    @Test func gradientOfTheGradientExists() throws {
        // R1 through the augmentation differentiates d(sum(aug(x) w))/dx = aug^T(w) in w.
        let t = try AugmentTransforms(parameters(1), height: 16, width: 28)
        let one = try AugmentTransforms(geometric: t.geometric.slice(0, 0, 1), color: t.color.slice(0, 0, 1))
        let g = try Torch.Generator(seed: 2)
        let x = try Tensor.randn([1, 3, 5, 7], dtype: .float64, generator: g)
        let w = try Tensor.randn([1, 3, 5, 7], dtype: .float64, generator: g)
        try GradCheck.verify(inputs: [x, w]) { inputs in
            let y = try (AugmentPipeline.apply(inputs[0], one) * inputs[1]).sum()
            return try #require(try gradients(of: y, wrt: [inputs[0]], createGraph: true)[0])
        }
    }

    @Test func bilinearSampleMatchesTheDefinition() throws {
        // grid_sample with align_corners=False samples pixel centres at (2i + 1) / W - 1; halfway between two
        // centres gives their mean, and a point beyond the border blends with zero.
        let x = try Tensor([Float(1), 2, 3, 4, 5, 6], shape: [1, 1, 2, 3])
        let grid = try Tensor([Float(-2.0 / 3), -0.5, 0, -0.5, 2.0 / 3, 0, 1, 0.5], shape: [1, 1, 4, 2])
        let out = try AugmentGeometry.bilinearSample(x, grid: grid).floats()
        // (x=-2/3,y=-1/2) is pixel (0,0) = 1; (0,-1/2) is pixel (1,0) = 2; (2/3, 0) is between rows of column 2:
        // (3 + 6) / 2; (1, 1/2) is column 2.5, row 1: half of 6 and half of the zero padding.
        let expected: [Float] = [1, 2, 4.5, 3]
        #expect(zip(out, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(out)")
    }

    @Test func identityAtZeroProbability() throws {
        let t = try AugmentTransforms.sample(p: 0, batch: 5, height: 16, width: 16, generator: Torch.Generator(seed: 3))
        try expectClose(t.geometric, try Tensor.eye(3).unsqueeze(0).expand([5, 3, 3]), tol: 0, "G at p = 0")
        try expectClose(t.color, try Tensor.eye(4).unsqueeze(0).expand([5, 4, 4]), tol: 0, "C at p = 0")
    }

    @Test func samplerDrawsTheReferenceDistributions() throws {
        let n = 20_000
        let a = try AugmentParameters.sample(p: 0.5, batch: n, generator: Torch.Generator(seed: 4))
        func mean(_ t: Tensor) throws -> Double { try t.mean().item() }
        func std(_ t: Tensor) throws -> Double { try t.std().item() }
        let pRotation = 1 - 0.5.squareRoot()
        for (name, draw) in a.all {
            let rate = name.hasPrefix("rotate_") ? pRotation : 0.5
            #expect(abs(try mean(draw.applied) - rate) < 0.02, "\(name) applied")
        }
        #expect(Set(try a.rotate90.value.floats()) == [0, 3])
        #expect(Set(try a.xflip.value.floats()) == [0, 1])
        #expect(Set(try a.lumaflip.value.floats()) == [0, 1])
        #expect(try a.xint.value.abs().max().item() <= 0.125)
        #expect(abs(try std(a.scale.value.log()) - 0.2 * log(2.0)) < 0.005)
        #expect(abs(try std(a.aniso.value.log()) - 0.2 * log(2.0)) < 0.005)
        #expect(abs(try std(a.contrast.value.log()) - 0.5 * log(2.0)) < 0.01)
        #expect(abs(try std(a.saturation.value.log()) - log(2.0)) < 0.02)
        #expect(abs(try std(a.xfrac.value) - 0.125) < 0.005)
        #expect(abs(try std(a.brightness.value) - 0.2) < 0.005)
        #expect(abs(try std(a.hue.value) - Double.pi / 3.0.squareRoot()) < 0.05)
        let same = try AugmentParameters.sample(p: 0.5, batch: n, generator: Torch.Generator(seed: 4))
        #expect(try same.hue.value.floats() == a.hue.value.floats())
    }

    @Test func augmentIsSeededAndKeepsTheShape() throws {
        let x = try Tensor.randn([2, 3, 16, 16], generator: Torch.Generator(seed: 5))
        let a = try AugmentPipeline.augment(x, p: 0.7, generator: Torch.Generator(seed: 6))
        let b = try AugmentPipeline.augment(x, p: 0.7, generator: Torch.Generator(seed: 6))
        #expect(a.images.shape == x.shape)
        #expect(try a.images.floats() == b.images.floats())
        try expectClose(try AugmentPipeline.apply(x, a.transforms), a.images, tol: 0, "replay")
        #expect(throws: TorchError.self) { try AugmentPipeline.augment(x, p: 1.5, generator: Torch.Generator(seed: 6)) }
        #expect(throws: TorchError.self) { try AugmentPipeline.apply(Tensor.zeros([2, 1, 8, 8]), a.transforms) }
    }

    @Test func adaptiveProbabilityFollowsTheSignOfRt() throws {
        var ada = try AdaptiveAugment(target: 0.6, length: 100, updateEvery: 2)
        let confident = try Tensor.ones([4, 1])
        #expect(try ada.tune(realPredictions: confident) == 0)  // no update after one step
        #expect(try ada.tune(realPredictions: confident) == 0.08)  // r_t = 1 > 0.6: up by 8 / 100
        #expect(ada.rt == 1)
        // r_t = (4 - 4) / 8 = 0 <= 0.6: down by 8 / 100, then clamped at 0.
        try ada.tune(realPredictions: confident)
        try ada.tune(realPredictions: -confident)
        #expect(abs(ada.p) < 1e-12 && ada.rt == 0)
        try ada.tune(realPredictions: -confident)
        #expect(try ada.tune(realPredictions: -confident) == 0)
        // r_t exactly at the target moves p down, as the reference's strict comparison does.
        var atTarget = try AdaptiveAugment(target: 0.5, length: 10, updateEvery: 1, p: 0.5)
        #expect(abs(atTarget.update(signSum: 2, predictions: 4) - 0.1) < 1e-12)
        let restored = try JSONDecoder().decode(AdaptiveAugment.self, from: JSONEncoder().encode(ada))
        #expect(restored == ada)
        #expect(throws: TorchError.self) { try AdaptiveAugment(updateEvery: 0) }
    }
}
