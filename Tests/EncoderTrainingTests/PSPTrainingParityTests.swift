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

/// Two pSp training iterations against the official code (`Resources/psp-step`, its README says how they were made):
/// IR-SE50 GradualStyleEncoder in train mode, a 64-pixel generator with 512-dimensional codes, ArcFace, LPIPS-Alex,
/// every pSp loss term and Ranger, all with procedural weights. The losses, the codes, the image, the gradient that
/// reaches the codes, and the encoder's weights and batch-norm statistics after each step match.
@Suite("pSp training parity", .serialized)
struct PSPTrainingParityTests {
    init() throws { try Runtime.start() }

    @Test func twoStepsMatchTheOfficialCoach() throws {
        let fixture = try TrainingFixture("psp-step")
        let ref = fixture.ref
        let encoder = try fixture.filled(GradualStyleEncoder(styleCount: 10), "encoder")
        let decoder = try fixture.decoder()
        var config = EncoderTrainingConfig(dataset: fixture.images, styleganWeights: "unused")
        (config.outputSize, config.batchSize, config.learningRate, config.optimName) = (64, 2, 0.01, .ranger)
        config.startFromLatentAvg = true
        (config.lpipsLambda, config.idLambda, config.l2Lambda, config.wNormLambda) = (0.8, 0.1, 1.0, 0.005)
        (config.lpipsLambdaCrop, config.l2LambdaCrop) = (0.5, 0.5)
        config.workers = 1
        let trainer = try PSPTrainer(config, encoder: encoder, widths: .official, decoder: decoder,
                                     latentAvg: ref("latent_avg"), networks: fixture.lossNetworks(), device: .cpu)
        let initial = try encoder.namedParameters().map { ($0.name, try $0.tensor.clone()) }

        let x = try ref("x")
        // The codes, the image and the gradient at the codes of iteration 0, outside the trainer's step; the
        // batch-norm statistics this forward moves are put back before the steps.
        let snapshot = try encoder.stateDict().map { ($0.name, try $0.tensor.clone()) }
        encoder.train()
        let (yHat, latent) = try trainer.forward(x, noise: .const)
        try expectClose(latent, ref("step0_latent"), tol: 1e-5, "step 0 codes")
        try expectClose(yHat, ref("step0_y_hat"), tol: 1e-4, "step 0 image")
        let leaf = try latent.detach().requiresGrad(true)
        var image = try decoder.synthesis(leaf, noise: .const)
        image = try F.adaptiveAvgPool2d(image, (256, 256))
        let imageTerms = try trainer.calcLoss(x: x, yHat: image, latent: leaf).total
        let gradient = try #require(try gradients(of: [imageTerms], wrt: [leaf])[0])
        try expectClose(gradient, ref("step0_latent_grad"), tol: 1e-4, "d loss / d codes")
        try encoder.load(stateDict: StateDict(snapshot), strict: true)

        for s in 0..<2 {
            let (logged, _) = try trainer.trainingStep(x, noise: .const, index: s)
            let values = Dictionary(logged, uniquingKeysWith: { a, _ in a })
            for name in ["loss_id", "id_improve", "loss_l2", "loss_lpips", "loss_lpips_crop", "loss_l2_crop", "loss_w_norm",
                         "loss"]
            {
                let expected = try ref("step\(s)_\(name)").item()
                let value = try #require(values[name], "step \(s): \(name) not logged")
                #expect(abs(value - expected) <= 1e-5 * max(1, abs(expected)), "step \(s) \(name): \(value) vs \(expected)")
            }
            let weights = try encoder.stateDict().dictionary
            for key in ["input_layer.0.weight", "input_layer.1.weight", "input_layer.1.running_mean",
                        "input_layer.1.running_var", "body.0.res_layer.1.weight", "body.23.res_layer.5.fc2.weight",
                        "latlayer1.bias", "latlayer2.weight", "styles.0.linear.weight", "styles.0.linear.bias",
                        "styles.9.linear.bias", "styles.9.convs.0.bias"]
            {
                try expectClose(try #require(weights[key]), ref("step\(s)_after.\(key)"), tol: 1e-5, "step \(s) \(key)")
            }
            let now = Dictionary(uniqueKeysWithValues: encoder.namedParameters().map { ($0.name, $0.tensor) })
            // The total over every parameter: the sampled tensors above agree to 1e-5, but the deep trunk's
            // gradients are tiny and set by float32 summation order. On one machine the total moved by 4e-4 (step 0)
            // and 2.3% (step 1) between ATen's AVX2 and scalar kernels and this AVX-512-made fixture, hence 1e-3 and 5%.
            let delta = try TrainingFixture.absDeltaSum(now, initial)
            let expected = try ref("step\(s)_encoder_abs_delta_sum").item()
            #expect(abs(delta - expected) <= (s == 0 ? 1e-3 : 5e-2) * expected, "step \(s): sum |delta| \(delta) vs \(expected)")
        }
    }
}
