import Checkpoints
import Encoders
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// ReStyle's trainer on the tiny models of `PSPTrainerTests`: the refinement passes, their summed gradients, exact
/// resumption, and checkpoints the ReStyle loader reads.
@Suite("ReStyle trainer", .serialized)
struct ReStyleTrainerTests {
    init() throws { try Runtime.start() }

    static func config(_ files: (generator: String, images: String)) -> EncoderTrainingConfig {
        var c = EncoderTrainingConfig(method: .restylePSP, dataset: files.images, styleganWeights: files.generator)
        #expect(c.inputNC == 6 && c.lpipsLambda == 0 && c.idLambda == 0 && c.l2Lambda == 0 && c.encoderType == .backboneEncoder)
        (c.encoderWidthDivisor, c.encoderInputSize, c.l2Lambda, c.wNormLambda) = (16, 32, 1, 0.001)
        (c.optimName, c.learningRate, c.batchSize, c.workers, c.nItersPerBatch) = (.adam, 0.001, 2, 1, 3)
        return c
    }

    static func make(_ config: EncoderTrainingConfig) throws -> PSPTrainer { try ReStyleTrainer(config) }

    @Test func refinementPassesLearnAndSumTheirGradients() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir))
        config.batchSize = 4
        let (_, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 40, every: 40, make: Self.make)
        let l2 = log.map { $0["loss_l2"]! }
        let first = l2.prefix(6).reduce(0, +) / 6, last = l2.suffix(6).reduce(0, +) / 6
        #expect(last < 0.7 * first, "l2 fell from \(first) to \(last) only")

        // The gradient of a step is the sum of the passes' gradients: one step of three passes equals the sum of
        // three one-pass computations on the same detached inputs.
        let trainer = try ReStyleTrainer(config)
        let x = try Tensor.rand([2, 3, 32, 32], generator: Torch.Generator(seed: 9)) * 2 - 1
        trainer.encoder.eval()
        var expected: [String: Tensor] = [:]
        var previous: (image: Tensor, latent: Tensor)?
        for _ in 0..<3 {
            for p in trainer.encoder.parameters() { try p.setGrad(nil) }
            let pass = try trainer.refine(x, previous: previous, noise: .const)
            try trainer.calcLoss(x: x, yHat: pass.image, latent: pass.latent).total.backward()
            for (name, p) in trainer.encoder.namedParameters() {
                let g = try #require(try p.grad)
                expected[name] = try expected[name].map { try $0 + g } ?? g.clone()
            }
            previous = (try pass.image.detach(), try pass.latent.detach())
        }
        for p in trainer.encoder.parameters() { try p.setGrad(nil) }
        _ = try trainer.backwardPass(x, target: x, noise: .const)
        for (name, p) in trainer.encoder.namedParameters() {
            try expectClose(try #require(try p.grad), try #require(expected[name]), tol: 1e-5, "grad \(name)")
        }
    }

    @Test func aResumedRunEqualsTheUninterruptedOne() throws {
        let dir = try Scratch()
        let config = Self.config(try PSPTrainerTests.setUp(dir))
        let (whole, wholeLog) = try PSPTrainerTests.train(config, run: dir.path("whole"), iterations: 4, every: 2, make: Self.make)
        _ = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 2, every: 2, make: Self.make)
        let (resumed, splitLog) = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 4, resume: .auto,
                                                           every: 2, make: Self.make)
        #expect(wholeLog == splitLog)
        let a = try whole.encoder.stateDict().dictionary, b = try resumed.encoder.stateDict().dictionary
        for (key, tensor) in a { #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "encoder.\(key)") }
    }

    /// The checkpoint is ReStyle's container: `EncoderCheckpoint.load` builds the narrow 6-channel encoder and its
    /// iterations give the codes of the trainer's passes in eval mode.
    @Test func checkpointsLoadAsReStyleEncoders() throws {
        let dir = try Scratch()
        let config = Self.config(try PSPTrainerTests.setUp(dir))
        let (trainer, _) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 2, every: 2, make: Self.make)
        let path = dir.path("run/checkpoint/000002.pt")
        #expect(try TorchCheckpoint.load(path)["opts"]["n_iters_per_batch"].int() == 3)
        let loaded = try EncoderCheckpoint.load(path)
        #expect(loaded.encoder.method == "restyle-psp")
        let restyle = try #require(loaded.encoder as? ReStyleEncoder)
        let images = try Tensor.rand([2, 3, 32, 32], generator: Torch.Generator(seed: 1)) * 2 - 1
        let codes = try restyle.codesPerIteration(images, generator: #require(loaded.generator).generator)
        #expect(codes.count == 3)
        let restyleTrainer = try #require(trainer as? ReStyleTrainer)
        trainer.encoder.eval()
        var previous: (image: Tensor, latent: Tensor)?
        try withNoGrad {
            for i in 0..<3 {
                let pass = try restyleTrainer.refine(images, previous: previous, noise: .const)
                #expect(try maxAbsDifference(pass.latent, codes[i]) < 1e-4, "pass \(i)")
                previous = pass
            }
        }
    }

    /// ReStyle's ResNet encoders (its other domains): a narrow ResNet trains, starts from torchvision-named `layerK.b`
    /// weights with `--encoder_init`, and its checkpoint loads as the same ReStyle encoder.
    @Test func resNetEncodersTrainStartFromTorchvisionAndLoad() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir))
        (config.encoderType, config.batchSize) = (.resNetBackboneEncoder, 4)
        let (trainer, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 40, every: 40, make: Self.make)
        let resNet = try #require(trainer.encoder as? ReStyleResNetEncoder)
        #expect(resNet.configuration == .narrow(divisor: 16, styleDim: 16, inputSize: 32) && resNet.styleCount == 8)
        let l2 = log.map { $0["loss_l2"]! }
        let first: Double = l2.prefix(6).reduce(0, +), last: Double = l2.suffix(6).reduce(0, +)
        #expect(last < 0.7 * first, "l2 \(first / 6) -> \(last / 6)")

        let loaded = try EncoderCheckpoint.load(dir.path("run/checkpoint/000040.pt"))
        let network = try #require((loaded.encoder as? ReStyleEncoder)?.network as? ReStyleResNetEncoder)
        #expect(network.configuration == resNet.configuration)

        // torchvision's names: layer1.0 ... layer4.0 (one block per stage here), the stem not included.
        var torchvision: [String: Tensor] = [:]
        for (key, tensor) in try resNet.stateDict() where key.hasPrefix("body.") {
            let parts = key.split(separator: ".", maxSplits: 2)
            torchvision["layer\(Int(parts[1])! + 1).0.\(parts[2])"] = try tensor.clone()
        }
        try Safetensors.write(torchvision, to: dir.path("resnet34.safetensors"))
        config.encoderInit = dir.path("resnet34.safetensors")
        let started = try Self.make(config)
        let body = try started.encoder.stateDict().dictionary
        for (key, tensor) in try resNet.stateDict() where key.hasPrefix("body.") {
            #expect(try maxAbsDifference(tensor, #require(body[key])) == 0, "\(key)")
        }
        torchvision.removeValue(forKey: "layer2.0.conv1.weight")
        config.encoderInit = dir.path("partial.safetensors")
        try Safetensors.write(torchvision, to: config.encoderInit!)
        #expect(throws: EncoderTrainingError.self) { _ = try Self.make(config) }
    }
}

