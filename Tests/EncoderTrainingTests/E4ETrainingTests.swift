import Checkpoints
import Encoders
import Foundation
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// e4e's training on the tiny models of `PSPTrainerTests`: the latent discriminator, the code pools, progressive
/// deltas, exact resumption of all of it, and e4e's own training checkpoints.
@Suite("e4e training", .serialized)
struct E4ETrainingTests {
    init() throws { try Runtime.start() }

    static func config(_ files: (generator: String, images: String)) -> EncoderTrainingConfig {
        var c = PSPTrainerTests.config(files)
        c.method = .e4e
        c.encoderType = .encoder4Editing
        c.wNormLambda = 0
        c.wDiscriminatorLambda = 0.1
        c.dRegEvery = 2
        c.useWPool = true
        c.wPoolSize = 3
        c.progressiveStart = 2
        c.progressiveStepEvery = 1
        return c
    }

    @Test func theDiscriminatorHasE4EsKeys() throws {
        let d = try LatentCodesDiscriminator()
        #expect(try d.stateDict().names == ["mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight",
                                            "mlp.4.bias", "mlp.6.weight", "mlp.6.bias"])
        #expect(d.parameterCount == 788_481)
    }

    /// ReStyle-e4e: the passes with e4e's regularizers, its discriminator reading the image beside the average image.
    @Test func reStyleE4ETrainsWithTheRegularizers() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        var config = EncoderTrainingConfig(method: .restyleE4E, dataset: files.images, styleganWeights: files.generator)
        #expect(config.encoderType == .progressiveBackboneEncoder && config.inputNC == 6)
        (config.encoderWidthDivisor, config.encoderInputSize, config.l2Lambda) = (16, 32, 1)
        (config.optimName, config.learningRate, config.batchSize, config.workers, config.nItersPerBatch) = (.adam, 0.001, 2, 1, 2)
        (config.wDiscriminatorLambda, config.progressiveStart, config.progressiveStepEvery) = (0.1, 1, 1)
        let (trainer, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 3, every: 3,
                                                      make: { try EncoderMethod.restyleE4E.trainer($0) })
        #expect(trainer is ReStyleTrainer && trainer.e4e?.discriminator != nil)
        #expect(log[2]["delta2_loss"] != nil && log[2]["discriminator_loss"]?.isFinite == true)
        let loaded = try EncoderCheckpoint.load(dir.path("run/checkpoint/000003.pt"))
        #expect(loaded.encoder.method == "restyle-e4e")
    }

    /// Stage i starts at its progressive step: before `progressive_start` only w0 is learnt (stage 0, no deltas);
    /// then one more delta per step, each penalised and logged.
    @Test func progressiveStagesAddOneDeltaAtATime() throws {
        let dir = try Scratch()
        let config = Self.config(try PSPTrainerTests.setUp(dir))
        let (trainer, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 5, every: 5)
        let e4e = try #require(trainer.e4e)
        #expect(e4e.progressiveSteps == [0, 2, 3, 4, 5, 6, 7, 8])
        #expect((0..<10).map { e4e.stage(at: $0) } == [0, 0, 1, 2, 3, 4, 5, 6, 7, 7])
        #expect(log[0]["total_delta_loss"] == 0 && log[0]["delta1_loss"] == nil)
        #expect(log[2]["delta1_loss"] != nil && log[2]["delta2_loss"] == nil)
        #expect(log[4]["delta3_loss"] != nil && log[4]["delta4_loss"] == nil)
        for (i, line) in log.enumerated() {
            for key in ["d_real_loss", "d_fake_loss", "discriminator_loss", "encoder_discriminator_loss", "loss_l2", "loss"] {
                #expect(line[key]?.isFinite == true, "step \(i): \(key)")
            }
            #expect((line["discriminator_r1_loss"] != nil) == (i % 2 == 0), "step \(i): R1 every 2 steps")
        }
        // At stage 0 the encoder's rows are all w0.
        let encoder = try #require(trainer.encoder as? GradualStyleEncoder)
        encoder.readout = .progressive(stage: 0)
        let codes = try withNoGrad { try encoder.styleCodes(Tensor.randn([1, 3, 32, 32])) }
        #expect(try maxAbsDifference(codes.select(1, 5), codes.select(1, 0)) == 0)
    }

    /// Six iterations equal three and three more from the checkpoint: the encoder, the discriminator, both pools and
    /// every logged value.
    @Test func aResumedRunEqualsTheUninterruptedOne() throws {
        let dir = try Scratch()
        let config = Self.config(try PSPTrainerTests.setUp(dir))
        let (whole, wholeLog) = try PSPTrainerTests.train(config, run: dir.path("whole"), iterations: 6)
        _ = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 3)
        let (resumed, splitLog) = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 6, resume: .auto)
        #expect(wholeLog == splitLog)
        for (a, b, name) in [(whole.encoder, resumed.encoder, "encoder"),
                             (try #require(whole.e4e?.discriminator), try #require(resumed.e4e?.discriminator), "discriminator")]
            as [(Module, Module, String)]
        {
            let left = try a.stateDict().dictionary, right = try b.stateDict().dictionary
            for (key, tensor) in left { #expect(try maxAbsDifference(tensor, #require(right[key])) == 0, "\(name).\(key)") }
        }
    }

    /// `save_training_data` writes e4e's keys, and a run given that file (`--resume_training_from_ckpt`) continues
    /// after its `global_step` with its weights, discriminator and (with `keep_optimizer`) optimiser.
    @Test func e4eTrainingCheckpointsRoundTrip() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir))
        config.saveTrainingData = true
        config.keepOptimizer = true
        let (trainer, _) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 3, every: 3)
        let saved = try TorchCheckpoint.load(dir.path("run/checkpoint/000003.pt"))
        guard case .dict(let top) = saved else { Issue.record("not a dict"); return }
        for key in ["state_dict", "opts", "latent_avg", "global_step", "optimizer", "best_val_loss",
                    "discriminator_state_dict", "discriminator_optimizer_state_dict"]
        {
            #expect(top[key] != nil, "\(key) missing")
        }
        #expect(try saved["global_step"].int() == 2)
        #expect(try saved["opts"]["stylegan_size"].int() == 32 && saved["opts"]["encoder_type"].string() == "Encoder4Editing")
        // e4e's own file has no state of ours.
        let official = dir.path("e4e.pt")
        let entries = try top.filter { if case .string(PSPTrainer.stateKey) = $0.key { false } else { true } }
            .map { (key: try CheckpointValue($0.key), value: try CheckpointValue($0.value)) }
        try TorchCheckpoint.save(.dict(entries), to: official)
        let resumed = try PSPTrainer(config)
        #expect(try resumed.loadState(from: official) == 3)
        let a = try trainer.encoder.stateDict().dictionary, b = try resumed.encoder.stateDict().dictionary
        for (key, tensor) in a { #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "encoder.\(key)") }
    }

    @Test func e4eOptionsAreChecked() throws {
        let dir = try Scratch()
        var config = Self.config(try PSPTrainerTests.setUp(dir, count: 4))
        config.progressiveSteps = [0, 1, 2]
        config.progressiveStart = nil
        do {
            _ = try PSPTrainer(config)
            Issue.record("three progressive steps for eight styles were taken")
        } catch {
            #expect("\(error)".contains("must list 8 ascending steps"))
        }
        config = Self.config(try PSPTrainerTests.setUp(dir, count: 4))
        config.encoderType = .backboneEncoderUsingLastLayerIntoW
        #expect(throws: EncoderTrainingError.self) { try config.validate() }
        var psp = PSPTrainerTests.config(try PSPTrainerTests.setUp(dir, count: 4))
        psp.wDiscriminatorLambda = 0.1
        #expect(throws: EncoderTrainingError.self) { try psp.validate() }
    }
}
