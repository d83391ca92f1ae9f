import Encoders
import Foundation
import Perception
import TestSupport
import Testing
import Torch

@testable import EncoderTraining

/// E2Style training against the official coach (`Resources/e2style-step`): two iterations of stage 1 (the first-stage
/// encoder at full width, official 9/5/4 heads for a 64-pixel generator that reads 10 of the 18 rows) and two of
/// stage 2 (a refinement stage over stage 1's result, which stays frozen and in eval mode), with the multi-layer ID,
/// parsing, L2, LPIPS and W-norm terms and Ranger.
@Suite("E2Style training parity", .serialized)
struct E2StyleTrainingParityTests {
    init() throws { try Runtime.start() }

    @Test func bothStagesMatchTheOfficialCoach() throws {
        let fixture = try TrainingFixture("e2style-step")
        let ref = fixture.ref
        let networks = try fixture.lossNetworks(parser: fixture.filled(UNetFaceParser(config: .official), "parsenet"))
        let decoder = try fixture.decoder()
        var config = EncoderTrainingConfig(method: .e2style, dataset: fixture.images, styleganWeights: "unused")
        (config.outputSize, config.batchSize, config.learningRate, config.optimName, config.workers) = (64, 2, 0.01, .ranger, 1)
        (config.lpipsLambda, config.idLambda, config.parseLambda, config.l2Lambda, config.wNormLambda) = (0.8, 0.5, 1, 1, 0.005)
        config.startFromLatentAvg = true
        let x = try ref("x")
        let names = ["loss_id", "loss_parse", "loss_l2", "loss_lpips", "loss_w_norm", "loss"]

        func run(_ trainer: E2StyleTrainer, part: String, keys: [String], deltaName: String) throws {
            let trained = trainer.encoder
            let initial = try trained.namedParameters().map { ($0.name, try $0.tensor.clone()) }
            for s in 0..<2 {
                let (logged, _) = try trainer.trainingStep(x, noise: .const, index: s)
                let values = Dictionary(logged, uniquingKeysWith: { a, _ in a })
                #expect(Set(values.keys) == Set(names), "\(part) step \(s) logs \(values.keys.sorted())")
                for name in names {
                    let expected = try ref("\(part)_step\(s)_\(name)").item()
                    let value = try #require(values[name])
                    // The codes after a step carry the trunk's float32 gradient error (the reference's own float32 run
                    // is 3e-4 from its float64 run on a_step1_loss_w_norm, its README says).
                    let tol = name == "loss_w_norm" ? 1e-3 : 1e-4
                    #expect(abs(value - expected) <= tol * max(1, abs(expected)), "\(part) step \(s) \(name): \(value) vs \(expected)")
                }
                let weights = try trained.stateDict().dictionary
                for key in keys {
                    if key.hasSuffix(".rows0to16") {
                        let name = String(key.dropLast(".rows0to16".count))
                        try expectClose(try #require(weights[name]).slice(0, 0, 16), ref("\(part)_step\(s)_after.\(key)"),
                                        tol: 1e-5, "\(part) step \(s) \(key)")
                    } else {
                        try expectClose(try #require(weights[key]), ref("\(part)_step\(s)_after.\(key)"), tol: 1e-5,
                                        "\(part) step \(s) \(key)")
                    }
                }
                // Over every parameter the deep trunk's float32 gradients (about 1e-3 relative, the README says) set
                // the total to a few parts in 1e4.
                let now = Dictionary(uniqueKeysWithValues: trained.namedParameters().map { ($0.name, $0.tensor) })
                let delta = try TrainingFixture.absDeltaSum(now, initial)
                let expected = try ref("\(part)_step\(s)_\(deltaName)_abs_delta_sum").item()
                #expect(abs(delta - expected) <= 3e-3 * expected, "\(part) step \(s): sum |delta| \(delta) vs \(expected)")
            }
        }

        // Stage 1.
        let first = try fixture.filled(E2StyleStageEncoder(inputChannels: 3), "encoder_firststage")
        first.train()
        let stage1 = try E2StyleTrainer(config, frozenStages: [], trained: first, widths: .official, decoder: decoder,
                                        latentAvg: ref("latent_avg"), networks: networks, device: .cpu)
        try run(stage1, part: "a", keys: ["input_layer.0.weight", "input_layer.1.running_mean", "output_layer_3.3.weight.rows0to16",
                                          "output_layer_3.3.bias", "output_layer_4.3.bias", "output_layer_5.3.bias",
                                          "body.20.res_layer.5.fc2.weight"], deltaName: "encoder")

        // Stage 2 over stage 1's result.
        (config.trainingStage, config.checkpointPath) = (2, "unused")
        let firstAfter = try first.stateDict().map { ($0.name, try $0.tensor.clone()) }
        let refine = try fixture.filled(E2StyleStageEncoder(inputChannels: 6), "encoder_refinestage")
        refine.train()
        let stage2 = try E2StyleTrainer(config, frozenStages: [first], trained: refine, widths: .official, decoder: decoder,
                                        latentAvg: ref("latent_avg"), networks: networks, device: .cpu)
        try run(stage2, part: "b", keys: ["input_layer.0.weight", "input_layer.1.running_mean", "output_layer_3.3.bias",
                                          "output_layer_5.3.bias"], deltaName: "refine")
        let firstNow = try first.stateDict().dictionary
        for (name, before) in firstAfter {
            #expect(try maxAbsDifference(#require(firstNow[name]), before) == 0, "the frozen first stage's \(name) changed")
        }
    }
}
