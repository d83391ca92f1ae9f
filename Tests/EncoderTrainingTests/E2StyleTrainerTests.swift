import Checkpoints
import Encoders
import Foundation
import Perception
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// E2Style's trainer on the tiny models of `PSPTrainerTests`: the first stage, a refinement stage over it (the first
/// frozen), the multi-layer identity and parsing terms, exact resumption, and checkpoints the E2Style loader reads.
@Suite("E2Style trainer", .serialized)
struct E2StyleTrainerTests {
    init() throws { try Runtime.start() }

    static func config(_ files: (generator: String, images: String)) -> EncoderTrainingConfig {
        var c = EncoderTrainingConfig(method: .e2style, dataset: files.images, styleganWeights: files.generator)
        let defaults = (c.encoderType, c.parseLambda)
        #expect(defaults.0 == .backboneEncoderFirstStage)
        #expect(defaults.1 == 1)
        (c.encoderWidthDivisor, c.encoderInputSize, c.l2Lambda, c.lpipsLambda, c.idLambda, c.parseLambda) = (16, 32, 1, 0, 0, 0)
        (c.optimName, c.learningRate, c.batchSize, c.workers, c.startFromLatentAvg) = (.adam, 0.001, 2, 1, true)
        return c
    }

    static func make(_ config: EncoderTrainingConfig) throws -> PSPTrainer { try E2StyleTrainer(config) }

    @Test func stagesTrainInTurnAndLoadAsE2Style() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir))
        config.batchSize = 4
        let (first, log) = try PSPTrainerTests.train(config, run: dir.path("stage1"), iterations: 40, every: 40, make: Self.make)
        let l2: [Double] = log.map { $0["loss_l2"]! }
        let early: Double = l2.prefix(6).reduce(0, +), late: Double = l2.suffix(6).reduce(0, +)
        #expect(late < 0.7 * early, "stage 1 l2: \(l2)")
        #expect((first as? E2StyleTrainer)?.frozenStages.isEmpty == true)

        // Stage 2 refines over stage 1's checkpoint; the first stage stays as it was, batch-norm statistics included
        // (E2Style's coach keeps it in eval mode).
        var second = config
        (second.trainingStage, second.checkpointPath) = (2, dir.path("stage1/checkpoint/000040.pt"))
        let (refined, _) = try PSPTrainerTests.train(second, run: dir.path("stage2"), iterations: 4, every: 4, make: Self.make)
        let e2 = try #require(refined as? E2StyleTrainer)
        let before = try first.encoder.stateDict().dictionary, after = try e2.frozenStages[0].stateDict().dictionary
        for (key, tensor) in before where !key.hasSuffix("num_batches_tracked") {
            #expect(try maxAbsDifference(tensor, #require(after[key])) == 0, "first stage \(key) changed in stage 2")
        }

        let loaded = try EncoderCheckpoint.load(dir.path("stage2/checkpoint/000004.pt"))
        let encoder = try #require(loaded.encoder as? E2StyleEncoder)
        let shape = [encoder.stages, encoder.inputSize, encoder.firstStage.styleCount]
        #expect(shape == [2, 32, 8])
        let images = try Tensor.rand([2, 3, 32, 32], generator: Torch.Generator(seed: 1)) * 2 - 1
        let codes = try encoder.codesPerStage(images, generator: #require(loaded.generator).generator)
        e2.setTraining(false)
        let expected = try withNoGrad { try e2.forward(images, noise: .const).latent }
        #expect(try maxAbsDifference(codes[1], expected) < 1e-4)
    }

    /// The testbed's identity network and U-Net as E2Style's multi-layer ID and parsing losses, and an exact resume.
    @Test func aResumedRunWithItsLossesEqualsTheUninterruptedOne() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir))
        (config.idLambda, config.parseLambda, config.weights) = (0.5, 1, Fixtures.packageRoot.appendingPathComponent("Models/testbed").path)
        let (whole, wholeLog) = try PSPTrainerTests.train(config, run: dir.path("whole"), iterations: 4, every: 2, make: Self.make)
        let logsE2StyleTerms = wholeLog.allSatisfy { line in line["loss_id"] != nil && line["loss_parse"] != nil && line["id_improve"] == nil }
        #expect(logsE2StyleTerms)
        _ = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 2, every: 2, make: Self.make)
        let (resumed, splitLog) = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 4, resume: .auto,
                                                           every: 2, make: Self.make)
        #expect(wholeLog == splitLog)
        let a = try whole.encoder.stateDict().dictionary, b = try resumed.encoder.stateDict().dictionary
        for (key, tensor) in a { #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "\(key)") }
    }

    @Test func headsSplitTheGeneratorsRows() {
        #expect(E2StyleStageEncoder.Heads.scaled(styleCount: 18) == .official)
        let ten = E2StyleStageEncoder.Heads.scaled(styleCount: 10)
        let rows: [Int] = [ten.coarse.codes, ten.medium.codes, ten.fine.codes]
        #expect(rows == [5, 3, 2])
        let eight = E2StyleStageEncoder.Heads.scaled(styleCount: 8)
        let total: Int = eight.coarse.codes + eight.medium.codes + eight.fine.codes
        #expect(total == 8)
    }

    @Test func aRefinementStageNeedsThePreviousStages() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir, count: 2))
        config.trainingStage = 2
        #expect(throws: EncoderTrainingError.self) { try config.validate() }
        config.checkpointPath = config.styleganWeights
        do {
            _ = try E2StyleTrainer(config)
            Issue.record("a refinement stage trained without a first stage")
        } catch {
            #expect("\(error)".contains("holds no decoder.* generator") || "\(error)".contains("no encoder_firststage"))
        }
    }
}
