import Checkpoints
import Foundation
import TestSupport
import Testing
import Torch

/// `stylegan train encoder` end to end on tiny models: testbed renders, a 32-pixel generator made by
/// `train generator`, the encoder at 1/16 of IR-SE50's widths.
@Suite("CLI: train encoder", .serialized)
struct TrainEncoderCLITests {
    /// (generator file, image folder) in `dir`.
    static func setUp(_ dir: Scratch) throws -> (generator: String, images: String) {
        var r = try CLI.run(["testbed", "render", "--count", "8", "--size", "64", "--seed", "3", "--out", dir.path("data"),
                             "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["train", "generator", dir.path("data/images"), "--outdir", dir.path("gen"), "--size", "32",
                         "--batch", "2", "--mbstd", "2", "--n_sample", "2", "--cbase", "512", "--cmax", "16", "--latent", "16", "--n_mlp", "2",
                         "--iter", "1", "--save_every", "1", "--sample_every", "1", "--workers", "1", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        return (dir.path("gen/checkpoint/000001.pt"), dir.path("data/images"))
    }

    static func arguments(_ files: (generator: String, images: String), run: String, steps: Int) -> [String] {
        ["train", "encoder", files.images, "--method", "psp", "--outdir", run, "--stylegan_weights", files.generator,
         "--encoder_width_divisor", "16", "--encoder_input_size", "32", "--batch_size", "2", "--lpips_lambda", "0",
         "--id_lambda", "0", "--w_norm_lambda", "0.01", "--start_from_latent_avg", "--max_steps", "\(steps)",
         "--save_interval", "4", "--board_interval", "1", "--workers", "1", "--threads", "1"]
    }

    /// A run killed with SIGKILL after its first checkpoint and resumed with `--resume auto` ends with the
    /// uninterrupted run's weights.
    @Test func aKilledRunResumesExactly() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        var r = try CLI.run(Self.arguments(files, run: dir.path("whole"), steps: 60))
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("trained 60 iterations"))

        let first = dir.path("killed/checkpoint/000004.pt")
        #expect(try CLI.kill(Self.arguments(files, run: dir.path("killed"), steps: 60), once: first))
        #expect(FileManager.default.fileExists(atPath: first))
        #expect(!FileManager.default.fileExists(atPath: dir.path("killed/checkpoint/000060.pt")), "the run ended before the kill")
        r = try CLI.run(Self.arguments(files, run: dir.path("killed"), steps: 60) + ["--resume", "auto"])
        try #require(r.status == 0, "\(r.stderr)")
        let a = try TorchCheckpoint.load(dir.path("whole/checkpoint/000060.pt"))["state_dict"].stateDict().dictionary
        let b = try TorchCheckpoint.load(dir.path("killed/checkpoint/000060.pt"))["state_dict"].stateDict().dictionary
        #expect(Set(a.keys) == Set(b.keys))
        for (key, tensor) in a where key.hasPrefix("encoder.") {
            #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "\(key) differs after resuming")
        }
    }

    /// The testbed's identity network and LPIPS as the ID and perceptual losses (`--weights Models/testbed`), in
    /// float32 and with `--precision bfloat16`: the first step's terms close to float32's but not equal to them.
    @Test func testbedNetworksServeAsTheLossNetworks() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        let weights = Fixtures.packageRoot.appendingPathComponent("Models/testbed").path
        var first: [String: [String: Double]] = [:]
        for precision in ["float32", "bfloat16"] {
            var arguments = Self.arguments(files, run: dir.path(precision), steps: 2)
            arguments += ["--weights", weights, "--lpips_type", "testbed", "--lpips_lambda", "0.8", "--id_lambda", "0.1",
                          "--board_interval", "1", "--precision", precision]
            let r = try CLI.run(arguments)
            try #require(r.status == 0, "\(r.stderr)")
            let log = try String(contentsOfFile: dir.path("\(precision)/log.jsonl"), encoding: .utf8)
            for name in ["loss_id", "id_improve", "loss_l2", "loss_lpips", "loss_w_norm"] {
                #expect(log.contains("\"\(name)\""), "\(name) not logged")
            }
            struct Record: Decodable { let losses: [String: Double] }
            let line = try #require(log.split(separator: "\n").first)
            first[precision] = try JSONDecoder().decode(Record.self, from: Data(line.utf8)).losses
            let opts = try TorchCheckpoint.load(dir.path("\(precision)/checkpoint/000002.pt"))["opts"]
            #expect(try opts["precision"].string() == precision)
        }
        for name in ["loss_id", "loss_lpips"] {
            let a = try #require(first["float32"]?[name]), b = try #require(first["bfloat16"]?[name])
            #expect(a != b && abs(a - b) <= max(0.03 * abs(a), 5e-3), "\(name): float32 \(a), bfloat16 \(b)")
        }
    }

    /// pSp's segmentation-to-image task on the testbed's masks: one-hot label maps in (`--label_nc 19`), the renders out.
    @Test func labelMapsTrainToFaces() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        var arguments = Self.arguments(files, run: dir.path("run"), steps: 3)
        arguments += ["--source_dataset", dir.path("data/masks"), "--label_nc", "19", "--input_nc", "19",
                      "--encoder_input_size", "64", "--dataset_type", "celebs_seg_to_face"]
        var r = try CLI.run(arguments)
        try #require(r.status == 0, "\(r.stderr)")
        let model = dir.path("run/checkpoint/000003.pt")
        let opts = try TorchCheckpoint.load(model)["opts"]
        #expect(try opts["label_nc"].int() == 19 && opts["input_nc"].int() == 19)
        // `restore` renders faces from maps, and refuses a photo given as a map, naming it.
        r = try CLI.run(["restore", dir.path("data/masks/000000.png"), "--encoder", model, "--outdir", dir.path("faces")])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.path("faces/000000.png")))
        r = try CLI.run(["restore", dir.path("data/images/000000.png"), "--encoder", model, "--outdir", dir.path("faces2")])
        #expect(r.status != 0 && r.stderr.contains("000000.png: a label map holds class"), "\(r.stderr)")
        // Interpolated label maps (a 32-pixel encoder would shrink the 64-pixel masks) are refused.
        arguments = Self.arguments(files, run: dir.path("bad"), steps: 3)
        arguments += ["--source_dataset", dir.path("data/masks"), "--label_nc", "19", "--input_nc", "19"]
        r = try CLI.run(arguments)
        #expect(r.status != 0 && r.stderr.contains("resized with interpolation"), "\(r.stderr)")
    }

    @Test func badInputFailsClearlyAndWritesNoCheckpoint() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        func failing(_ extra: [String], _ message: String, run: String) throws {
            let arguments = Self.arguments(files, run: dir.path(run), steps: 2) + extra
            let r = try CLI.run(arguments)
            #expect(r.status != 0, "\(extra) succeeded")
            #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
            let checkpoints = (try? FileManager.default.contentsOfDirectory(atPath: dir.path(run + "/checkpoint"))) ?? []
            #expect(checkpoints.filter { $0.hasSuffix(".pt") }.isEmpty)
        }
        try failing(["--id_lambda", "0.1"], "--id_lambda needs model_ir_se50.pth or identity.safetensors", run: "a")
        try failing(["--input_nc", "1"], "--input_nc 1", run: "b")
        try failing(["--output_size", "64"], "--output_size 64 does not match", run: "c")
        try failing(["--encoder_type", "Encoder4Editing"], "encoder_type", run: "d")
        try failing(["--moco_lambda", "0.5", "--id_lambda", "0.1"], "both --id_lambda and --moco_lambda", run: "e")
        let missing = Self.arguments((dir.path("nothing.pt"), files.images), run: dir.path("f"), steps: 2)
        var r = try CLI.run(missing)
        #expect(r.status != 0 && r.stderr.contains("nothing.pt: no such file"), "\(r.stderr)")
        // A corrupt encoder checkpoint to start from, and a corrupt checkpoint to resume from.
        let corrupt = dir.path("corrupt.pt")
        try Data("PK\u{3}\u{4} not a checkpoint".utf8).write(to: URL(fileURLWithPath: corrupt))
        try failing(["--checkpoint_path", corrupt], "corrupt.pt", run: "g")
        r = try CLI.run(Self.arguments(files, run: dir.path("h"), steps: 2))
        try #require(r.status == 0, "\(r.stderr)")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.path("h/checkpoint/000002.pt")))
        r = try CLI.run(Self.arguments(files, run: dir.path("h"), steps: 4) + ["--resume", "auto"])
        #expect(r.status != 0 && r.stderr.contains("000002.pt") && r.stderr.contains("cannot resume"), "\(r.stderr)")
    }

    // MARK: Feature-Style

    /// A tiny Feature-Style configuration in the official yaml form: the 32-pixel generator, the encoder at 1/16 width
    /// on 256-pixel inputs (so its 16x16 feature replaces layer 5), two epochs of ten iterations, the testbed's
    /// identity network, LPIPS and BiSeNet (at 64 pixels).
    static func featureStyleConfig(_ dir: Scratch, resolution: Int = 32, extra: String = "") throws -> String {
        let path = dir.path("fs-\(resolution)-\(extra.filter(\.isLetter))\(extra.filter(\.isNumber)).yaml")
        let text = """
            # Input data
            resolution: \(resolution)
            batch_size: 2
            epochs: 2
            iter_per_epoch: 10
            use_realimg: True
            optimizer: 'ranger'
            lr: 0.0001
            step_size: 1
            gamma: 0.5
            image_save_iter: 2
            log_iter: 1
            multiscale_lpips: False
            enc_width_divisor: 16
            parsing_size: 64
            w:
              l1: 0
              l2: 1
              lpips: 0.2
              id: 0.1
              landmark: 0.1
              f_recon: 0.01
            \(extra)
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func featureStyleArguments(_ files: (generator: String, images: String), config: String, run: String) -> [String] {
        ["train", "encoder", files.images, "--method", "fs", "--outdir", run, "--stylegan_model_path", files.generator,
         "--config", config, "--weights", Fixtures.packageRoot.appendingPathComponent("Models/testbed").path,
         "--lpips_type", "testbed", "--workers", "1", "--threads", "1"]
    }

    /// Two epochs end to end: every term logged, the official checkpoint.pth (n_epoch, enc_state_dict, optimiser and
    /// StepLR states) and enc.pth.tar, which `invert --method fs` reads beside the generator; a run killed after its
    /// first epoch resumes to the uninterrupted run's weights.
    @Test func featureStyleTrainsResumesAndInverts() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        let config = try Self.featureStyleConfig(dir)
        var r = try CLI.run(Self.featureStyleArguments(files, config: config, run: dir.path("whole")))
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("trained 20 iterations"), "\(r.stdout)")
        let log = try String(contentsOfFile: dir.path("whole/log.jsonl"), encoding: .utf8)
        for name in ["l2_loss", "lpips_loss", "id_loss", "feature_recon_loss", "landmark_loss", "loss"] {
            #expect(log.contains("\"\(name)\""), "\(name) not logged")
        }
        let official = try TorchCheckpoint.load(dir.path("whole/checkpoint.pth"))
        #expect(try official["n_epoch"].int() == 1)
        #expect(try official["enc_scheduler_state_dict"]["last_epoch"].int() == 2)
        #expect(try official["enc_opt_state_dict"]["param_groups"][0]["lr"].double() == 0.000025)
        let encoder = try TorchCheckpoint.load(dir.path("whole/enc.pth.tar")).stateDict().dictionary
        #expect(encoder["styles.0.weight"]?.shape == [16, 9 * (4 + 8 + 16 + 32)])

        let first = dir.path("killed/checkpoint/000010.pt")
        #expect(try CLI.kill(Self.featureStyleArguments(files, config: config, run: dir.path("killed")), once: first))
        #expect(!FileManager.default.fileExists(atPath: dir.path("killed/checkpoint/000020.pt")), "the run ended before the kill")
        r = try CLI.run(Self.featureStyleArguments(files, config: config, run: dir.path("killed")) + ["--resume", "auto"])
        try #require(r.status == 0, "\(r.stderr)")
        let a = try TorchCheckpoint.load(dir.path("whole/checkpoint/000020.pt"))["enc_state_dict"].stateDict().dictionary
        let b = try TorchCheckpoint.load(dir.path("killed/checkpoint/000020.pt"))["enc_state_dict"].stateDict().dictionary
        #expect(Set(a.keys) == Set(b.keys) && !a.isEmpty)
        for (key, tensor) in a { #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "\(key) differs after resuming") }

        r = try CLI.run(["invert", dir.path("data/images/000000.png"), "--method", "fs", "--encoder", dir.path("whole/enc.pth.tar"),
                         "--checkpoint", files.generator, "--no-align", "--outdir", dir.path("inv")])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.path("inv/000000.png")))
    }

    @Test func featureStyleBadInputFailsClearly() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        func failing(_ arguments: [String], _ message: String) throws {
            let r = try CLI.run(arguments)
            #expect(r.status != 0, "\(arguments) succeeded")
            #expect(r.stderr.contains(message), "\(r.stderr)")
        }
        let config = try Self.featureStyleConfig(dir)
        var arguments = Self.featureStyleArguments(files, config: config, run: dir.path("a"))
        arguments.removeAll { $0 == "--weights" || $0.hasSuffix("Models/testbed") }
        try failing(arguments, "w.id needs --arcface_model_path or backbone.pth")
        try failing(Self.featureStyleArguments(files, config: try Self.featureStyleConfig(dir, extra: "idx_k: 3"), run: dir.path("b")),
                    "does not fit layer 3")
        let wrongSize = try Self.featureStyleConfig(dir, resolution: 64)
        try failing(Self.featureStyleArguments(files, config: wrongSize, run: dir.path("c")), "the configuration's resolution is 64")
        let broken = dir.path("broken.yaml")
        try "batch_size: two\n".write(toFile: broken, atomically: true, encoding: .utf8)
        try failing(Self.featureStyleArguments(files, config: broken, run: dir.path("d")), "broken.yaml: 'batch_size'")
        #expect(!FileManager.default.fileExists(atPath: dir.path("a/checkpoint")) && !FileManager.default.fileExists(atPath: dir.path("c/checkpoint")))
    }

    // MARK: CLCAE

    static func contrastiveArguments(_ generator: String, run: String, steps: Int) -> [String] {
        ["train", "encoder", "--method", "clcae", "--train_contrastive", "--use_norm", "--outdir", run,
         "--stylegan_weights", generator, "--encoder_width_divisor", "32", "--encoder_input_size", "64",
         "--max_steps", "\(steps)", "--save_interval", "2", "--val_interval", "2",
         "--board_interval", "1", "--contrastive_samples", "6", "--contrastive_test_batches", "1", "--test_batch_size", "2",
         "--workers", "1", "--threads", "1"]
    }

    /// Both stages end to end on the 32-pixel generator (16-dimensional codes; the encoders at 1/32 width on 64-pixel
    /// images): stage 1's pair (best and last, in the coach's layout), a killed stage-1 run resumed to the
    /// uninterrupted one's weights, stage 2 on that pair with the testbed's loss networks, and its checkpoint inverting
    /// a photo through `stylegan invert --method clcae`.
    @Test func clcaeTrainsBothStagesAndInverts() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        var r = try CLI.run(Self.contrastiveArguments(files.generator, run: dir.path("c"), steps: 30))
        try #require(r.status == 0, "\(r.stderr)")
        for name in ["best_model_image.pt", "best_model_latent.pt", "iteration_image_30.pt", "iteration_latent_30.pt"] {
            #expect(FileManager.default.fileExists(atPath: dir.path("c/checkpoint/" + name)), "\(name)")
        }
        let log = try String(contentsOfFile: dir.path("c/log.jsonl"), encoding: .utf8)
        #expect(log.contains("\"loss_contrastive\"") && log.contains("test/loss_contrastive"), "\(log)")

        let first = dir.path("k/checkpoint/000002.pt")
        #expect(try CLI.kill(Self.contrastiveArguments(files.generator, run: dir.path("k"), steps: 30), once: first))
        #expect(!FileManager.default.fileExists(atPath: dir.path("k/checkpoint/000030.pt")), "the run ended before the kill")
        r = try CLI.run(Self.contrastiveArguments(files.generator, run: dir.path("k"), steps: 30) + ["--resume", "auto"])
        try #require(r.status == 0, "\(r.stderr)")
        for part in ["state_dict_image", "state_dict_latent"] {
            let a = try TorchCheckpoint.load(dir.path("c/checkpoint/000030.pt"))[part].stateDict().dictionary
            let b = try TorchCheckpoint.load(dir.path("k/checkpoint/000030.pt"))[part].stateDict().dictionary
            #expect(Set(a.keys) == Set(b.keys) && !a.isEmpty)
            for (key, tensor) in a { #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "\(part) \(key) differs") }
        }

        r = try CLI.run(["train", "encoder", files.images, "--method", "clcae", "--train_inversion", "--use_norm",
                         "--outdir", dir.path("i"), "--stylegan_weights", files.generator, "--learn_in_w",
                         "--encoder_width_divisor", "32", "--encoder_input_size", "64",
                         "--contrastive_model_image", dir.path("c/checkpoint/best_model_image.pt"),
                         "--contrastive_model_latent", dir.path("c/checkpoint/best_model_latent.pt"),
                         "--weights", Fixtures.packageRoot.appendingPathComponent("Models/testbed").path, "--lpips_type", "testbed",
                         "--lpips_lambda", "0.2", "--id_lambda", "0.1", "--max_steps", "2", "--board_interval", "1",
                         "--workers", "1", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        let inversionLog = try String(contentsOfFile: dir.path("i/log.jsonl"), encoding: .utf8)
        for name in ["loss_id_w", "loss_l2_ww", "loss_lpips", "loss_feature", "loss_contras"] {
            #expect(inversionLog.contains("\"\(name)\""), "\(name) not logged")
        }
        r = try CLI.run(["invert", dir.path("data/images/000000.png"), "--method", "clcae", "--encoder",
                         dir.path("i/checkpoint/000002.pt"), "--no-align", "--outdir", dir.path("inv")])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.path("inv/000000.png")))

        // Stage 2 without the pair, and a stage not chosen, are refused before any work.
        r = try CLI.run(["train", "encoder", files.images, "--method", "clcae", "--train_inversion", "--use_norm",
                         "--outdir", dir.path("bad"), "--stylegan_weights", files.generator])
        #expect(r.status != 0 && r.stderr.contains("--contrastive_model_image"), "\(r.stderr)")
        r = try CLI.run(["train", "encoder", files.images, "--method", "clcae", "--use_norm", "--outdir", dir.path("bad"),
                         "--stylegan_weights", files.generator])
        #expect(r.status != 0 && r.stderr.contains("--train_contrastive (stage 1) or --train_inversion"), "\(r.stderr)")
    }
}
