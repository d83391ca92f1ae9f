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

    /// The testbed's identity network and LPIPS as the ID and perceptual losses (`--weights Models/testbed`).
    @Test func testbedNetworksServeAsTheLossNetworks() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        let weights = Fixtures.packageRoot.appendingPathComponent("Models/testbed").path
        var arguments = Self.arguments(files, run: dir.path("run"), steps: 2)
        arguments += ["--weights", weights, "--lpips_type", "testbed", "--lpips_lambda", "0.8", "--id_lambda", "0.1"]
        let r = try CLI.run(arguments)
        try #require(r.status == 0, "\(r.stderr)")
        let log = try String(contentsOfFile: dir.path("run/log.jsonl"), encoding: .utf8)
        for name in ["loss_id", "id_improve", "loss_l2", "loss_lpips", "loss_w_norm"] {
            #expect(log.contains("\"\(name)\""), "\(name) not logged")
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
}
