import Checkpoints
import Encoders
import Foundation
import Images
import Perception
import StyleGAN
import TestSupport
import Testing
import Torch

@testable import EncoderTraining

/// Three e4e training iterations against the official coach (`Resources/e4e-step`, its README says how they were
/// made): Encoder4Editing at full width in progressive stages 0, 1 and 2, the latent discriminator with lazy R1, the
/// adversarial and delta terms, ArcFace, LPIPS-Alex and Ranger, on procedural weights and the reference's z.
@Suite("e4e training parity", .serialized)
struct E4ETrainingParityTests {
    init() throws { try Runtime.start() }

    @Test func threeStepsMatchTheOfficialCoach() throws {
        let fixture = try TrainingFixture("e4e-step")
        let ref = fixture.ref
        let encoder = try fixture.filled(GradualStyleEncoder(styleCount: 10, readout: .e4eInference), "encoder")
        var config = EncoderTrainingConfig(method: .e4e, dataset: fixture.images, styleganWeights: "unused")
        (config.outputSize, config.batchSize, config.learningRate, config.optimName, config.workers) = (64, 2, 0.01, .ranger, 1)
        config.startFromLatentAvg = true
        (config.lpipsLambda, config.idLambda, config.l2Lambda) = (0.8, 0.1, 1.0)
        (config.wDiscriminatorLambda, config.wDiscriminatorLr, config.r1, config.dRegEvery) = (0.1, 0.001, 10, 2)
        (config.deltaNorm, config.deltaNormLambda, config.progressiveSteps) = (2, 0.05, Array(0..<10))
        let trainer = try PSPTrainer(config, encoder: encoder, widths: .official, decoder: fixture.decoder(),
                                     latentAvg: ref("latent_avg"), networks: fixture.lossNetworks(), device: .cpu)
        let e4e = try #require(trainer.e4e)
        let discriminator = try fixture.filled(try #require(e4e.discriminator), "discriminator")
        e4e.codeSource = { try ref("step\($0)_sample_z") }
        let initialEncoder = try encoder.namedParameters().map { ($0.name, try $0.tensor.clone()) }
        let initialDiscriminator = try discriminator.stateDict().map { ($0.name, try $0.tensor.clone()) }

        let x = try ref("x")
        for s in 0..<3 {
            let (logged, _) = try trainer.trainingStep(x, noise: .const, index: s)
            let values = Dictionary(logged, uniquingKeysWith: { a, _ in a })
            var names = ["d_real_loss", "d_fake_loss", "discriminator_loss", "encoder_discriminator_loss", "total_delta_loss",
                         "loss_id", "id_improve", "loss_l2", "loss_lpips", "loss"] + (1...max(1, s)).compactMap { s > 0 ? "delta\($0)_loss" : nil }
            if s % 2 == 0 { names.append("discriminator_r1_loss") }
            #expect(Set(values.keys) == Set(names), "step \(s) logs \(values.keys.sorted())")
            for name in names {
                let expected = try ref("step\(s)_\(name)").item()
                let value = try #require(values[name], "step \(s): \(name) not logged")
                #expect(abs(value - expected) <= (s < 2 ? 1e-4 : 2e-3) * max(1, abs(expected)), "step \(s) \(name): \(value) vs \(expected)")
            }
            let weights = try encoder.stateDict().dictionary
            for key in ["styles.0.linear.weight", "styles.1.linear.bias", "styles.2.linear.bias", "styles.3.linear.bias",
                        "input_layer.1.running_mean", "latlayer1.bias"]
            {
                try expectClose(try #require(weights[key]), ref("step\(s)_after.\(key)"), tol: 1e-5, "step \(s) \(key)")
            }
            let d = try discriminator.stateDict().dictionary
            for key in ["mlp.0.bias", "mlp.2.bias", "mlp.4.bias", "mlp.6.weight", "mlp.6.bias"] {
                try expectClose(try #require(d[key]), ref("step\(s)_after.discriminator.\(key)"), tol: 1e-5, "step \(s) D \(key)")
            }
            for key in ["mlp.0.weight", "mlp.2.weight", "mlp.4.weight"] {
                try expectClose(try #require(d[key]).slice(0, 0, 32), ref("step\(s)_after.discriminator.\(key).rows0to32"),
                                tol: s < 2 ? 1e-5 : 5e-5, "step \(s) D \(key)")
            }
            let encoderNow = Dictionary(uniqueKeysWithValues: encoder.namedParameters().map { ($0.name, $0.tensor) })
            // Totals over every parameter: the sampled tensors above agree to 1e-5; over the 200 million parameters of
            // the procedural IR-SE50 trunk, whose deep gradients are tiny and set by float32 summation order (threads,
            // kernels), the encoder's total moves do not. On one machine, ATen's AVX2 and scalar kernels put them 0.3%
            // (step 1) and 5% (step 2) from this AVX-512-made fixture; the step-2 losses moved by up to 5.6e-4 of their
            // value and the discriminator's weights by 1.7e-5, all downstream of that trunk. Hence the wider step-2
            // tolerances.
            let encoderTol = [3e-3, 1e-2, 1e-1][s]
            for (value, name, tol) in [(try TrainingFixture.absDeltaSum(encoderNow, initialEncoder), "encoder", encoderTol),
                                       (try TrainingFixture.absDeltaSum(d, initialDiscriminator), "discriminator", 1e-4)]
            {
                let expected = try ref("step\(s)_\(name)_abs_delta_sum").item()
                #expect(abs(value - expected) <= tol * max(1, expected), "step \(s): \(name) sum |delta| \(value) vs \(expected)")
            }
        }
    }
}
