import Checkpoints
import Foundation
import Inversion
import StyleGAN
import TestSupport
import Torch

/// What the PTI and GANI tests share: the bundled 64x64 demo generator (rosinality's random initialisation),
/// two targets it cannot make exactly and their projector pivots, computed once per test process.
enum TuningFixture {
    struct Case {
        let name: String
        /// [1, 3, 64, 64] in [-1, 1]
        let target: Tensor
        /// The projector's w+ [1, L, D]
        let pivot: Tensor
        /// MSE of the pivot's image (the generator's fixed noise) against the target: what tuning must beat.
        let projectorL2: Double
    }

    static let generatorPath = Fixtures.packageRoot
        .appendingPathComponent("Sources/stylegan/Resources/demo-generator-64.safetensors").path

    /// A fresh copy of the generator per test, so tests running in parallel never share one.
    static func generator() throws -> LoadedGenerator { try GeneratorCheckpoint.load(generatorPath) }

    static func sha256() throws -> String { try SHA256.hex(ofFile: generatorPath) }

    static func cases() throws -> [Case] { try cached.get() }

    private static let cached = Result { try makeCases() }

    private static func makeCases() throws -> [Case] {
        try Runtime.start()
        let g = try generator().generator
        // An image of another random generator of the same architecture, scaled into [-1, 1].
        let other = try LoadedGenerator.random(g.config, seed: 11).generator
        let foreign = try withNoGrad { try other([Tensor.randn([1, g.config.styleDim], generator: Generator(seed: 5))]) }
        // A smooth synthetic picture: two plane waves and a radial ramp.
        let y = try Tensor.arange(0, 64).view([1, 1, 64, 1]) / 63.0
        let x = try Tensor.arange(0, 64).view([1, 1, 1, 64]) / 63.0
        let channels = [
            try (x * 6.0 + y * 3.0).sin() * 0.6,
            try (y * 5.0 - x * 2.0).cos() * 0.5,
            try ((x - 0.5).square() + (y - 0.5).square()) * -3.0 + 0.5,
        ]
        let smooth = try Tensor.cat(channels.map { try $0.expand([1, 1, 64, 64]) }, dim: 1).contiguous()
        var options = Projector.Options.pti
        options.steps = 200
        options.lr = 0.05
        options.optimizeNoise = false
        options.meanSamples = 200
        let loss = ImageLoss(terms: [ImageLoss.l2()])
        return try [("another generator's image", try foreign / foreign.abs().max()), ("smooth picture", smooth)]
            .map { name, target in
                let pivot = try Projector(generator: g, loss: loss, options: options).project(target).wPlus
                let image = try withNoGrad { try g.synthesis(pivot) }
                return Case(name: name, target: target, pivot: pivot, projectorL2: try F.mseLoss(image, target).item())
            }
    }

    /// MSE between images.
    static func l2(_ a: Tensor, _ b: Tensor) throws -> Double { try F.mseLoss(a, b).item() }
}
