import Checkpoints
import Encoders
import Foundation
import Perception
import StyleGAN
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// The Feature-Style trainer on tiny models (the pSp tests' 32-pixel generator with 16-dimensional codes, the encoder
/// at 1/16 width on 256-pixel inputs, so its 16x16 feature replaces layer 5): its yaml configuration, its seeded
/// synthetic draws, learning, and the files the official scripts read.
@Suite("Feature-Style trainer", .serialized)
struct FeatureStyleTrainerTests {
    init() throws { try Runtime.start() }

    /// `configs/001.yaml` as published reads as `official`; keys the trainer does not use are ignored, and a missing
    /// key takes 001.yaml's value.
    @Test func theOfficialYamlIsTheOfficialPreset() throws {
        let dir = try Scratch()
        let path = dir.path("001.yaml")
        try """
            # Input data
            resolution: 1024
            age_min: 20
            age_max: 70
            use_realimg: True
            # Training hyperparameters
            batch_size: 1
            epochs: 12
            iter_per_epoch: 10000
            device: 'cuda'
            # Optimizer parameters
            optimizer: 'ranger'
            lr: 0.0001
            beta_1: 0.95
            beta_2: 0.999
            weight_decay: 0
            # Learning rate scheduler
            step_size: 10
            gamma: 0.1
            # Tensorboard log options
            image_save_iter: 100
            log_iter: 10
            # Network setting
            use_fs_encoder: True
            use_fs_encoder_v2: True
            fs_stride: 2
            pretrained_weight_for_fs: False
            enc_resolution: 256
            enc_residual: False
            truncation_psi: 1
            use_noise: True
            randomize_noise: False
            # Loss setting
            use_parsing_net: True
            multi_layer_idloss: True
            real_image_as_image_loss: False
            feature_match_loss: False
            feature_match_loss_G: False
            use_random_noise: True
            optimize_on_z: False
            multiscale_lpips: True
            # Loss weight
            w:
              l1: 0
              l2: 1
              lpips: 0.2
              id: 0.1
              landmark: 0.1
              f_recon: 0.01
            """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try FeatureStyleTrainingConfig.load(yaml: path) == .official)
        #expect(FeatureStyleTrainingConfig.official.iterations == 120_000 && FeatureStyleTrainingConfig.official.scale == 2)

        try "epochs: 3\nw:\n  id: 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        let partial = try FeatureStyleTrainingConfig.load(yaml: path)
        #expect(partial.epochs == 3 && partial.w.id == 0 && partial.w.lpips == 0.2 && partial.resolution == 1024)
        #expect(partial.featureBlendRate == 1e-4, "the official blend: full after 10,000 iterations")
        try "feature_blend_rate: 0.01\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try FeatureStyleTrainingConfig.load(yaml: path).featureBlendRate == 0.01)

        func message(_ text: String) -> String {
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                _ = try FeatureStyleTrainingConfig.load(yaml: path)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("w:\n  l2: heavy\n").contains("001.yaml: 'w.l2'"))
        #expect(message("resolution: 100\n").contains("resolution must be a power of two, got 100"))
        #expect(message("optimizer: sgd\n").contains("001.yaml"))
        #expect(message("w:\n  lpips: -1\n").contains("loss weights must not be negative"))
        #expect(message("feature_blend_rate: 0\n").contains("feature_blend_rate must be positive"))
    }

    /// A configuration for the tiny generator: L2 and the feature term alone (no loss networks needed).
    static func config() -> FeatureStyleTrainingConfig {
        var c = FeatureStyleTrainingConfig(resolution: 32, batchSize: 4, epochs: 1, iterPerEpoch: 40, optimizer: .adam,
                                           lr: 1e-3, beta1: 0.9, encWidthDivisor: 16)
        c.w = .init(l1: 0, l2: 1, lpips: 0, id: 0, landmark: 0, fRecon: 0.01)
        return c
    }

    @Test func theEncoderLearnsAndWritesTheOfficialFiles() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        let trainer = try FeatureStyleTrainer(Self.config(), styleganWeights: files.generator, realImages: files.images,
                                              labelPath: nil, networks: FeatureStyleLossNetworks(), seed: 1, workers: 1)
        #expect(trainer.encoder.configuration == .narrow(divisor: 16, styleDim: 16, featureChannels: 16))
        trainer.runFolder = dir.path("run")
        let options = TrainingOptions(iterations: 40, checkpointEvery: 40, sampleEvery: nil, resume: .fresh)
        _ = try TrainingLoop(run: RunDirectory(path: dir.path("run")), options: options, progress: .quiet)
            .train(trainer, config: Self.config())
        let log = try PSPTrainerTests.log(dir.path("run"))
        #expect(log.allSatisfy { Set($0.keys) == ["l2_loss", "feature_recon_loss", "loss"] })
        let l2 = log.map { $0["l2_loss"]! }
        let first = l2.prefix(8).reduce(0, +) / 8, last = l2.suffix(8).reduce(0, +) / 8
        #expect(last < 0.7 * first, "l2 fell from \(first) to \(last) only")
        // After the first epoch the encoder is in eval mode, as the official loop leaves it.
        #expect(!trainer.encoder.isTraining)

        // enc.pth.tar loads beside the generator as the published 143_enc.pth does, and encodes as the trainer's
        // encoder does in eval mode.
        let loaded = try FeatureStyleEncoder.load(encoder: dir.path("run/enc.pth.tar"), generator: files.generator)
        let encoder = try #require(loaded.encoder as? FeatureStyleEncoder)
        #expect(encoder.configuration == trainer.encoder.configuration && encoder.styleCount == 8)
        let x = try Tensor.randn([2, 3, 256, 256], generator: Torch.Generator(seed: 9))
        let (a, fa) = try withNoGrad { try encoder.codesAndFeature(x) }
        let (b, fb) = try withNoGrad { try trainer.encoder.codesAndFeature(x) }
        #expect(try maxAbsDifference(a, b) == 0 && maxAbsDifference(fa, fb) == 0)
        let official = try TorchCheckpoint.load(dir.path("run/checkpoint.pth"))
        #expect(try official["n_epoch"].int() == 0)

        // The official trainer's own checkpoint.pth (no state of ours) resumes at its next epoch with its weights,
        // optimiser and scheduler.
        guard case .dict(let entries) = try CheckpointValue(official) else { Issue.record("not a dict"); return }
        let theirs = entries.filter { if case .string("stylegankit") = $0.key { false } else { true } }
        #expect(theirs.count == 4)
        try TorchCheckpoint.save(.dict(theirs), to: dir.path("official.pth"))
        let fresh = try FeatureStyleTrainer(Self.config(), styleganWeights: files.generator, realImages: files.images,
                                            labelPath: nil, networks: FeatureStyleLossNetworks(), seed: 2, workers: 1)
        #expect(try fresh.loadState(from: dir.path("official.pth")) == 40)
        let resumed = try fresh.encoder.stateDict().dictionary
        for (key, tensor) in try trainer.encoder.stateDict().dictionary {
            #expect(try maxAbsDifference(tensor, #require(resumed[key])) == 0, "\(key)")
        }
        #expect(fresh.scheduler.lastEpoch == 1)
    }

    /// With `--label_path`, each synthetic sample's z and noise are those its seed gives as the official dataset draws
    /// them, from the training split (the first `train_split` of the seeds).
    @Test func seedsGiveTheOfficialDatasetsDraws() throws {
        let dir = try Scratch()
        let files = try PSPTrainerTests.setUp(dir)
        let seeds = dir.path("seeds.npy")
        try NumPy.writeArray(Tensor([Int64(10), 11, 12, 13, 14], shape: [5]), to: seeds)
        var config = Self.config()
        (config.batchSize, config.trainSplit) = (2, 0.8)
        let trainer = try FeatureStyleTrainer(config, styleganWeights: files.generator, realImages: files.images,
                                              labelPath: seeds, networks: FeatureStyleLossNetworks(), seed: 1, workers: 1)
        var seen: [Int] = []
        for _ in 0..<2 {
            let (z, noise) = try trainer.syntheticDraw()
            #expect(z.shape == [2, 16] && noise.count == trainer.decoder.numLayers && noise[0].shape == [2, 1, 4, 4])
            for row in 0..<2 {
                let match = try (10...13).first { seed in
                    let g = try Torch.Generator(seed: UInt64(seed))
                    let expected = try Tensor.randn([1, 16], generator: g)
                    let map = try Tensor.randn([1, 1, 4, 4], generator: g)
                    return try maxAbsDifference(z.slice(0, row, row + 1), expected) == 0
                        && maxAbsDifference(noise[0].slice(0, row, row + 1), map) == 0
                }
                seen.append(try #require(match, "sample \(row) is not drawn from a training seed"))
            }
        }
        #expect(Set(seen) == [10, 11, 12, 13], "one epoch draws each training seed once: \(seen)")
    }

    /// dlib's `.dat` as the identity network (`--id_network dlib`): read by its suffix; its five levels and the
    /// descriptor are the multi-layer term's features, the unit descriptor the single one; it computes in float32.
    @Test func dlibsNetworkIsAnIdentityNetwork() throws {
        let models = DlibModels.locate()
        let identity = try FeatureStyleIdentity.load(from: models.requireFaceRecognition())
        guard case .dlib = identity else { Issue.record("\(identity) is not dlib's"); return }
        let images = try Tensor.rand([2, 3, 64, 64], generator: Torch.Generator(seed: 1)) * 2 - 1
        let multi = try identity.features(images, multiLayer: true)
        #expect(multi.map { $0.shape } == [[2, 32 * 35 * 35], [2, 64 * 17 * 17], [2, 128 * 8 * 8], [2, 256 * 4 * 4], [2, 256 * 2 * 2], [2, 128]])
        let single = try identity.features(images, multiLayer: false)
        let norm = try single[0].square().sum([1]).mean().item()
        #expect(single.count == 1 && abs(norm - 1) < 1e-5)
        // It stays float32 under --precision bfloat16 (slower there), for both trainers' loss networks.
        let mixed = try FeatureStyleLossNetworks(identity: identity, precision: .bfloat16).identityFeatures(images, multiLayer: false)
        #expect(try (mixed[0] - single[0]).abs().max().item() == 0)
        guard case .dlib(let network) = identity else { return }
        let encoder = try EncoderLossNetworks(dlibIdentity: network, precision: .bfloat16).identityEmbedding(images)
        let gap = try (encoder - single[0]).abs().max().item()
        #expect(encoder.dtype == .float32 && gap == 0)
    }
}
