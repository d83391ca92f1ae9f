import Checkpoints
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan train generator` end to end on a tiny model: a run killed with SIGKILL and resumed equals the
/// uninterrupted run; the run folder; bad input.
@Suite("CLI: train generator", .serialized)
struct TrainGeneratorCLITests {
    /// 16x16 gradients, as the trainer tests use.
    static func images(_ dir: Scratch) throws -> String {
        let folder = dir.path("images")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let rng = try Torch.Generator(seed: 5)
        let ramp = try (Tensor.arange(0, 16).view([1, 1, 1, 16]) / 15.0).expand([1, 1, 16, 16])
        for i in 0..<12 {
            let a = try Tensor.rand([1, 3, 1, 1], generator: rng) * 2 - 1
            let b = try Tensor.rand([1, 3, 1, 1], generator: rng) * 2 - 1
            try Image(tensor: (a * (1 - ramp) + b * ramp).contiguous()).write(to: "\(folder)/\(i).png")
        }
        return folder
    }

    static func arguments(_ images: String, run: String, iterations: Int) -> [String] {
        ["train", "generator", images, "--outdir", run, "--size", "16", "--batch", "4", "--n_sample", "4",
         "--cbase", "256", "--cmax", "16", "--latent", "16", "--n_mlp", "2", "--d_reg_every", "2", "--g_reg_every", "2",
         "--iter", "\(iterations)", "--save_every", "5", "--sample_every", "5", "--workers", "1", "--threads", "1"]
    }

    @Test func aKilledRunResumesExactly() throws {
        let dir = try Scratch()
        let images = try Self.images(dir)
        var r = try CLI.run(Self.arguments(images, run: dir.path("whole"), iterations: 20))
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("trained 20 iterations"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path("whole"))
        #expect(["config.json", "log.jsonl", "checkpoint", "samples"].allSatisfy(files.contains), "\(files)")
        #expect(files.contains { $0.hasPrefix("events.out.tfevents.") })

        // The same run, killed once its first checkpoint is down, then resumed from it.
        let first = dir.path("killed/checkpoint/000005.pt")
        let killed = try CLI.kill(Self.arguments(images, run: dir.path("killed"), iterations: 20), once: first)
        #expect(killed || FileManager.default.fileExists(atPath: dir.path("killed/checkpoint/000020.pt")))
        #expect(FileManager.default.fileExists(atPath: first))
        r = try CLI.run(Self.arguments(images, run: dir.path("killed"), iterations: 20) + ["--resume", "auto"])
        try #require(r.status == 0, "\(r.stderr)")
        let a = try TorchCheckpoint.load(dir.path("whole/checkpoint/000020.pt"))
        let b = try TorchCheckpoint.load(dir.path("killed/checkpoint/000020.pt"))
        for key in ["g", "d", "g_ema"] {
            let left = try a[key].stateDict().dictionary, right = try b[key].stateDict().dictionary
            #expect(left.count == right.count)
            for (name, tensor) in left {
                #expect(try maxAbsDifference(tensor, #require(right[name])) == 0, "\(key).\(name)")
            }
        }
        // generate takes the result as it is.
        r = try CLI.run(["generate", "--checkpoint", dir.path("killed/checkpoint/000020.pt"), "--seeds", "0-1",
                         "--outdir", dir.path("gen")])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func badInputIsAClearError() throws {
        let dir = try Scratch()
        var r = try CLI.run(Self.arguments(dir.path("nothing"), run: dir.path("run"), iterations: 2))
        #expect(r.status != 0 && r.stderr.contains(dir.path("nothing")), "\(r.stderr)")
        let images = try Self.images(dir)
        r = try CLI.run(Self.arguments(images, run: dir.path("run"), iterations: 2) + ["--size", "64"])
        #expect(r.status != 0 && r.stderr.contains("smaller than"), "\(r.stderr)")
        try Data("junk".utf8).write(to: URL(fileURLWithPath: "\(images)/bad.png"))
        r = try CLI.run(Self.arguments(images, run: dir.path("run2"), iterations: 2))
        #expect(r.status != 0 && r.stderr.contains("bad.png"), "\(r.stderr)")
        r = try CLI.run(Self.arguments(images, run: dir.path("run3"), iterations: 2) + ["--skip-bad"])
        #expect(r.status == 0 && r.stderr.contains("skipped 1"), "\(r.stderr)")
        r = try CLI.run(Self.arguments(images, run: dir.path("run4"), iterations: 2) + ["--batch", "0"])
        #expect(r.status != 0 && r.stderr.contains("--batch must be in 1...1024, got 0"), "\(r.stderr)")
        try Data().write(to: URL(fileURLWithPath: dir.path("file")))
        r = try CLI.run(Self.arguments(images, run: dir.path("file/run"), iterations: 2))
        #expect(r.status != 0 && r.stderr.contains("file"), "\(r.stderr)")
    }
}
