import Encoders
import Foundation
import TestSupport
import Testing
import Torch

@testable import EncoderTraining

/// Two ReStyle-pSp training iterations of three refinement passes against the official coach
/// (`Resources/restyle-step`): the 6-channel IR-SE50 BackboneEncoder at full width in train mode, the average image,
/// each pass's losses and codes, the summed gradients' Ranger step and the batch-norm statistics after it.
@Suite("ReStyle training parity", .serialized)
struct ReStyleTrainingParityTests {
    init() throws { try Runtime.start() }

    @Test func twoIterationsOfThreePassesMatchTheOfficialCoach() throws {
        let fixture = try TrainingFixture("restyle-step")
        let ref = fixture.ref
        let encoder = try fixture.filled(ReStyleBackboneEncoder(styleCount: 10), "encoder")
        var config = EncoderTrainingConfig(method: .restylePSP, dataset: fixture.images, styleganWeights: "unused")
        (config.outputSize, config.batchSize, config.learningRate, config.optimName, config.workers) = (64, 2, 0.01, .ranger, 1)
        (config.lpipsLambda, config.idLambda, config.l2Lambda, config.wNormLambda, config.nItersPerBatch) = (0.8, 0.1, 1, 0.005, 3)
        let trainer = try ReStyleTrainer(config, encoder: encoder, widths: .official, decoder: fixture.decoder(),
                                         latentAvg: ref("latent_avg"), networks: fixture.lossNetworks(), device: .cpu)
        try expectClose(trainer.averageImage.squeeze(0), ref("avg_image"), tol: 1e-4, "average image")
        let x = try ref("x")
        let names = ["loss_id", "id_improve", "loss_l2", "loss_lpips", "loss_w_norm", "loss"]
        // Iteration 1's losses come after a step of the procedural IR-SE50 trunk, whose deep gradients are tiny and set
        // by float32 summation order: on one machine, ATen's AVX2 and scalar kernels move them by up to 2.6e-4 of
        // their value (the fixture was made with AVX-512 kernels), so they get 1e-3 where iteration 0's keep 1e-4.
        func expectValues(_ logged: [(String, Double)], _ prefix: String, tol: Double = 1e-4) throws {
            let values = Dictionary(logged, uniquingKeysWith: { a, _ in a })
            for name in names {
                let expected = try ref("\(prefix)_\(name)").item()
                let value = try #require(values[name], "\(prefix): \(name) not logged")
                #expect(abs(value - expected) <= tol * max(1, abs(expected)), "\(prefix) \(name): \(value) vs \(expected)")
            }
        }

        // Iteration 0's passes one by one (their codes and losses), outside the step; the batch-norm statistics they
        // move are put back before the steps.
        let snapshot = try encoder.stateDict().map { ($0.name, try $0.tensor.clone()) }
        encoder.train()
        var previous: (image: Tensor, latent: Tensor)?
        for t in 0..<3 {
            let pass = try withNoGrad { try trainer.refine(x, previous: previous, noise: .const) }
            try expectClose(pass.latent, ref("step0_pass\(t)_latent"), tol: 1e-4, "iteration 0 pass \(t) codes")
            let logged = try withNoGrad { try trainer.calcLoss(x: x, yHat: pass.image, latent: pass.latent).logged }
            try expectValues(logged, "step0_pass\(t)")
            previous = pass
        }
        try encoder.load(stateDict: StateDict(snapshot), strict: true)

        let initial = try encoder.namedParameters().map { ($0.name, try $0.tensor.clone()) }
        for s in 0..<2 {
            let (logged, _) = try trainer.trainingStep(x, noise: .const, index: s)
            try expectValues(logged, "step\(s)_pass2", tol: s == 0 ? 1e-4 : 1e-3)
            let weights = try encoder.stateDict().dictionary
            for key in ["input_layer.0.weight", "input_layer.1.running_mean", "input_layer.1.running_var", "styles.0.linear.weight",
                        "styles.9.linear.bias", "styles.5.convs.0.bias", "body.23.res_layer.5.fc2.weight"]
            {
                try expectClose(try #require(weights[key]), ref("step\(s)_after.\(key)"), tol: 1e-5, "step \(s) \(key)")
            }
            let now = Dictionary(uniqueKeysWithValues: encoder.namedParameters().map { ($0.name, $0.tensor) })
            // The total move of every parameter, after iteration 0 only: in iteration 1 the deep units of stage 3 get
            // gradients set by float32 summation order (the reference itself gives 54.3 on one thread and 73.3 on two;
            // the README says more), while the sampled tensors above agree to 1e-5.
            guard s == 0 else { continue }
            let delta = try TrainingFixture.absDeltaSum(now, initial)
            let expected = try ref("step\(s)_encoder_abs_delta_sum").item()
            #expect(abs(delta - expected) <= 3e-3 * expected, "step \(s): sum |delta| \(delta) vs \(expected)")
        }
    }
}
