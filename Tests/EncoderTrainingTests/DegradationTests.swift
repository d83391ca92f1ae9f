import Foundation
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// E2Style's restoration tasks: each `--dataset_type`'s degradation as its dataset computes it, and a run of each.
@Suite("Restoration degradations", .serialized)
struct DegradationTests {
    init() throws { try Runtime.start() }

    /// An image [1, 3, S, S] of one 8-bit colour.
    static func flat(_ rgb: (Float, Float, Float), side: Int = 256) throws -> Tensor {
        let values = [rgb.0, rgb.1, rgb.2].map { $0 / 127.5 - 1 }
        return try Tensor(values, shape: [1, 3, 1, 1]).expand([1, 3, side, side]).contiguous()
    }

    /// OpenCV's BGR2GRAY of the RGB array, as E2Style calls it: the weights fall on the swapped channels.
    @Test func colorizationIsOpenCVsGrayOfTheRGBArray() throws {
        let out = try Degradation.colorization.sources(Self.flat((200, 100, 50)), generator: Torch.Generator(seed: 1))
        let bytes = try ((out + 1) * 127.5).round()
        // 0.299 · 50 + 0.587 · 100 + 0.114 · 200 = 96.45
        #expect(try bytes.min().item() == 96 && bytes.max().item() == 96)
    }

    /// Over many images both kinds of noise occur: Gaussian (std 0.1 of the range, clipped) and salt and pepper (5% of
    /// the values set to 0 or 255, half each).
    @Test func denoiseDrawsGaussianOrSaltAndPepperNoise() throws {
        let generator = try Torch.Generator(seed: 2)
        var kinds = Set<String>()
        for _ in 0..<12 {
            let image = try Self.flat((128, 128, 128), side: 64)
            let diff = try ((Degradation.denoise.sources(image, generator: generator) - image) * 127.5).round().abs()
            let changed = try diff.gt(0.5).to(dtype: .float32).mean().item()
            if changed < 0.2 {
                // Salt and pepper: 5% of the values, each moved to 0 or 255.
                #expect(abs(changed - 0.05) < 0.01, "\(changed)")
                let moved = try diff.maskedSelect(diff.gt(0.5))
                #expect(try moved.min().item() >= 127 && moved.max().item() <= 128)
                kinds.insert("s&p")
            } else {
                let std = try diff.pow(2).mean().sqrt().item()
                #expect(abs(std - 25.5) < 1.5, "Gaussian noise std \(std) of 255")
                kinds.insert("gaussian")
            }
        }
        #expect(kinds == ["s&p", "gaussian"])
    }

    /// The triangle of E2Style's `ffhq_inpainting`: black inside, untouched outside; its area that of the triangle.
    @Test func inpaintingBlanksTheTriangle() throws {
        let generator = try Torch.Generator(seed: 3)
        for _ in 0..<4 {
            let out = try Degradation.inpainting.sources(Self.flat((255, 255, 255)), generator: generator)
            let black = try out.select(1, 0).lt(0).to(dtype: .float32).sum().item()
            // Corners (35 or 220, 35), (35 or 70, 220), (+150, 220): a base of 150 and a height of 185.
            #expect(abs(black - 0.5 * 150 * 185) < 0.03 * 0.5 * 150 * 185, "\(black) pixels blanked")
            #expect(try out.select(1, 0).select(1, 20).min().item() == 1, "row 20 is above the triangle")
        }
    }

    /// A colourisation run on tiny models trains and validates, its sources gray.
    @Test func aColorizationRunTrains() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        var config = PSPTrainerTests.config(files)
        (config.datasetType, config.testDataset, config.valInterval) = ("ffhq_colorization", files.images, 3)
        let (trainer, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 3)
        #expect(log.count == 3 && trainer.degradation == .colorization)
        let y = try Tensor.rand([2, 3, 32, 32], generator: Torch.Generator(seed: 4)) * 2 - 1
        let x = try trainer.source(nil, target: y, generator: Torch.Generator(seed: 1))
        #expect(try maxAbsDifference(x.select(1, 0), x.select(1, 2)) == 0, "the source is gray")
    }
}
