import Checkpoints
import Encoders
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// CLCAE's two stages on tiny models: the pSp tests' 32-pixel generator (16-dimensional codes), the encoders at 1/32 of
/// IR-SE50's widths on 64-pixel images (so their last stage is as wide as the codes and p1 is the 16x16 of layer 5).
@Suite("CLCAE trainers", .serialized)
struct CLCAETrainerTests {
    init() throws { try Runtime.start() }

    static func config(_ files: (generator: String, images: String), contrastive: Bool) -> EncoderTrainingConfig {
        var c = EncoderTrainingConfig(method: .clcae, dataset: files.images, styleganWeights: files.generator)
        (c.trainContrastive, c.trainInversion, c.useNorm) = (contrastive, !contrastive, true)
        (c.encoderWidthDivisor, c.encoderInputSize, c.optimName, c.learningRate, c.workers) = (32, 64, .adam, 0.001, 1)
        (c.batchSize, c.testBatchSize, c.contrastiveSamples, c.contrastiveTestBatches) = (4, 4, 16, 1)
        c.valInterval = 10
        return c
    }

    static func mean(_ values: ArraySlice<Double>) -> Double { values.reduce(0, +) / Double(values.count) }

    /// Stage 1 aligns the pairs (the contrastive loss falls and validates), its best pair is in the coach's layout with
    /// the narrow design recorded; stage 2 on that pair learns to reconstruct (its L2 falls), and its checkpoint
    /// inverts through `CLCAEEncoder.load` as the trainer's encoder does.
    @Test func bothStagesLearnAndWriteLoadableFiles() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        let contrastive = try CLCAEContrastiveTrainer(Self.config(files, contrastive: true))
        #expect(contrastive.imageEncoder.encoder.design.trunk == .narrow(divisor: 32, styleDim: 16, inputSize: 64))
        contrastive.checkpointFolder = dir.path("c/checkpoint")
        let options = TrainingOptions(iterations: 40, checkpointEvery: 40, sampleEvery: nil, evaluateEvery: 10)
        _ = try TrainingLoop(run: RunDirectory(path: dir.path("c")), options: options, progress: .quiet)
            .train(contrastive, config: Self.config(files, contrastive: true))
        let losses = try PSPTrainerTests.log(dir.path("c")).compactMap { $0["loss_contrastive"] }
        #expect(Self.mean(losses.suffix(8)) < 0.8 * Self.mean(losses.prefix(8)),
                "contrastive loss \(Self.mean(losses.prefix(8))) -> \(Self.mean(losses.suffix(8)))")
        let image = try CLCAEImageEncoder.load(path: dir.path("c/checkpoint/best_model_image.pt"))
        let latent = try CLCAELatentEncoder.load(path: dir.path("c/checkpoint/best_model_latent.pt"))
        #expect(image.encoder.design.width == 16 && latent.width == 16)

        var config = Self.config(files, contrastive: false)
        (config.contrastiveModelImage, config.contrastiveModelLatent) = (dir.path("c/checkpoint/best_model_image.pt"),
                                                                         dir.path("c/checkpoint/best_model_latent.pt"))
        (config.lpipsLambda, config.wNormLambda, config.contrastiveLambda) = (0, 0.001, 0.01)
        let inversion = try CLCAEInversionTrainer(config, networks: EncoderLossNetworks())
        let inversionOptions = TrainingOptions(iterations: 40, checkpointEvery: 40, sampleEvery: nil)
        _ = try TrainingLoop(run: RunDirectory(path: dir.path("i")), options: inversionOptions, progress: .quiet)
            .train(inversion, config: config)
        let log = try PSPTrainerTests.log(dir.path("i"))
        #expect(Set(log[0].keys) == ["loss_l2", "loss_l2_ww", "loss_l2_w", "loss_w_norm", "loss_feature", "loss_contras", "loss"])
        let l2 = log.map { $0["loss_l2"]! }
        #expect(Self.mean(l2.suffix(8)) < 0.7 * Self.mean(l2.prefix(8)), "l2 \(Self.mean(l2.prefix(8))) -> \(Self.mean(l2.suffix(8)))")

        let loaded = try CLCAEEncoder.load(path: dir.path("i/checkpoint/000040.pt"))
        let encoder = try #require(loaded.encoder as? CLCAEEncoder)
        let x = try Tensor.rand([2, 3, 64, 64], generator: Torch.Generator(seed: 5)) * 2 - 1
        inversion.encoder.eval()
        let ours = try withNoGrad { try encoder.encode(x, generator: inversion.decoder) }
        let theirs = try withNoGrad { try inversion.forward(x, blend: 1, noise: (.const, .const, .const)) }
        #expect(try maxAbsDifference(ours.wPlus, theirs.latentRefine) < 1e-5)
        #expect(try maxAbsDifference(#require(ours.feature?.tensor), #require(theirs.featureOffset)) < 1e-5)
    }

    /// `--not_for_feature` and `--no_w_attention` build and train the coach's smaller networks: no feature, no
    /// image_ww, the rows' codes as offsets.
    @Test func ablationsTrain() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        var config = Self.config(files, contrastive: false)
        (config.notForFeature, config.noWAttention, config.featureMatchingLambda, config.contrastiveLambda) = (true, true, 0, 0)
        config.lpipsLambda = 0
        let trainer = try CLCAEInversionTrainer(config, networks: EncoderLossNetworks())
        #expect(trainer.encoder.content_layer == nil && trainer.encoder.cross_attention?.count == 0)
        let options = TrainingOptions(iterations: 2, checkpointEvery: 2, sampleEvery: nil)
        _ = try TrainingLoop(run: RunDirectory(path: dir.path("run")), options: options, progress: .quiet).train(trainer, config: config)
        #expect(Set(try PSPTrainerTests.log(dir.path("run"))[0].keys) == ["loss_l2", "loss_l2_w", "loss"])
        let opts = try TorchCheckpoint.load(dir.path("run/checkpoint/000002.pt"))["opts"]
        #expect(try opts["not_for_feature"].bool() == true && opts["no_w_attention"].bool() == true)
    }

    /// `--equal_linear_init own` draws the heads' `EqualLinear` weights at unit gain, so the fresh foundation code w
    /// varies with the image; the official draw, N(0, 0.02), leaves it nearly constant. The option is CLCAE's and only
    /// for fresh encoders.
    @Test func equalLinearInitSetsTheWHeadsGain() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        let x = try Tensor.rand([6, 3, 64, 64], generator: Torch.Generator(seed: 3)) * 2 - 1
        func spread(_ choice: CLCAEEqualLinearInit?) throws -> (weight: Double, w: Double) {
            var config = Self.config(files, contrastive: false)
            (config.contrastiveLambda, config.equalLinearInit) = (0, choice)
            let trainer = try CLCAEInversionTrainer(config, networks: EncoderLossNetworks())
            trainer.encoder.eval()
            let base = try withNoGrad { try trainer.encoder.offsets(x - trainer.averageImage).baseOffset }  // [6, D]
            return (try trainer.encoder.styles[0].linear.weight.std().item(), try base.std([0]).mean().item())
        }
        let official = try spread(nil), own = try spread(.own)
        #expect(abs(official.weight - 0.02) < 0.002 && abs(own.weight - 1) < 0.1, "\(official.weight), \(own.weight)")
        #expect(own.w > 20 * official.w, "spread of w over images: official \(official.w), own \(own.w)")

        var psp = Self.config(files, contrastive: false)
        (psp.method, psp.equalLinearInit) = (.psp, .own)
        #expect(throws: EncoderTrainingError.self) { try psp.validate() }
        var resumed = Self.config(files, contrastive: false)
        (resumed.equalLinearInit, resumed.checkpointPathAf) = (.own, files.generator)
        let error = #expect(throws: EncoderTrainingError.self) { try resumed.validate() }
        #expect(error?.description.contains("--equal_linear_init") == true)
    }

    /// Stage 1 on the official pre-generated folders (`image/NAME.png` beside `latent/NAME.npy`): the pairs read back
    /// as written (images to the 8 bits of their PNGs, codes exactly), validation over every full batch of the test
    /// folder; a missing latent, a missing `--test_dataset` and too few pairs are refused before any step.
    @Test func contrastiveStageReadsPairFolders() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        let generated = try CLCAEContrastiveTrainer(Self.config(files, contrastive: true))
        func write(_ folder: String, _ indices: [Int]) throws -> (images: Tensor, w: Tensor) {
            let (images, w) = try generated.pairs(indices)
            for sub in ["image", "latent"] {
                try FileManager.default.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true)
            }
            for (k, i) in indices.enumerated() {
                let name = String(format: "%06d", i)
                try Image(tensor: images.slice(0, k, k + 1)).write(to: "\(folder)/image/\(name).png")
                try NumPy.writeArray(w.select(0, k), to: "\(folder)/latent/\(name).npy")
            }
            return (images, w)
        }
        let train = try write(dir.path("pairs/train"), Array(0..<6))
        _ = try write(dir.path("pairs/test"), Array(100..<105))
        var config = Self.config(files, contrastive: true)
        (config.dataset, config.testDataset, config.batchSize, config.testBatchSize) =
            (dir.path("pairs/train"), dir.path("pairs/test"), 2, 2)
        let trainer = try CLCAEContrastiveTrainer(config)
        let read = try trainer.trainingPairs([4, 1])
        try expectClose(read.images, train.images.indexSelect(0, Tensor([Int64(4), 1], shape: [2])), tol: 0.5 / 127.5 + 1e-6,
                        "images read back")
        #expect(try maxAbsDifference(read.w, train.w.indexSelect(0, Tensor([Int64(4), 1], shape: [2]))) == 0)
        let options = TrainingOptions(iterations: 6, checkpointEvery: 6, sampleEvery: nil, evaluateEvery: 3)
        _ = try TrainingLoop(run: RunDirectory(path: dir.path("run")), options: options, progress: .quiet).train(trainer, config: config)
        let log = try String(contentsOfFile: dir.path("run/log.jsonl"), encoding: .utf8)
        #expect(log.contains("test/loss_contrastive"), "\(log)")
        #expect(trainer.bestValidationLoss != nil)
        #expect(trainer.meter.count == 4, "validation at 6 (after the epoch of 3 steps ended at 3): two batches of 2 from 5 pairs")

        var noTest = config
        noTest.testDataset = nil
        #expect(throws: EncoderTrainingError.self) { try CLCAEContrastiveTrainer(noTest) }
        var tooFew = config
        tooFew.testBatchSize = 8
        #expect(throws: EncoderTrainingError.self) { try CLCAEContrastiveTrainer(tooFew) }
        try FileManager.default.removeItem(atPath: dir.path("pairs/train/latent/000003.npy"))
        do {
            _ = try CLCAEContrastiveTrainer(config)
            Issue.record("a missing latent was accepted")
        } catch let error as EncoderTrainingError {
            #expect(error.description.contains("000003.npy"), "\(error)")
        }
    }
}
