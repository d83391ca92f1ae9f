import Checkpoints
import Foundation
import GeneratorTraining
import Images
import Metrics
import StyleGAN
import TestSupport
import Testing
import Torch
import Training

/// The StyleGAN2 trainer on the engine: exact resumption, rosinality's checkpoint layout, learning the data, and
/// what it refuses. Tiny models (16x16, at most 16 channels) keep each test to seconds.
@Suite("StyleGAN2 trainer", .serialized)
struct StyleGAN2TrainerTests {
    init() throws { try Runtime.start() }

    /// A folder of 16x16 images: smooth two-colour gradients whose colours vary with the seed.
    static func dataset(_ dir: Scratch, count: Int = 24) throws -> String {
        let folder = dir.path("images")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let rng = try Torch.Generator(seed: 99)
        let ramp = try (Tensor.arange(0, 16).view([1, 1, 16, 1]) / 15.0).expand([1, 1, 16, 16])
        for i in 0..<count {
            let a = try Tensor.rand([1, 3, 1, 1], generator: rng) * 2 - 1
            let b = try Tensor.rand([1, 3, 1, 1], generator: rng) * 2 - 1
            let image = try a * (1 - ramp) + b * ramp
            try Image(tensor: image.contiguous()).write(to: "\(folder)/\(String(format: "%03d", i)).png")
        }
        return folder
    }

    static func config(_ dataset: String) -> StyleGAN2TrainingConfig {
        var c = StyleGAN2TrainingConfig(dataset: dataset)
        c.size = 16
        c.batch = 4
        c.nSample = 4
        c.cbase = 256
        c.cmax = 16
        c.latent = 16
        c.nMLP = 2
        c.dRegEvery = 2
        c.gRegEvery = 2
        c.workers = 1
        return c
    }

    static func train(_ config: StyleGAN2TrainingConfig, run: String, iterations: Int, resume: Resume = .fresh,
                      every: Int = 3) throws -> StyleGAN2Trainer
    {
        let trainer = try StyleGAN2Trainer(config)
        let options = TrainingOptions(iterations: iterations, checkpointEvery: every, sampleEvery: nil, resume: resume)
        _ = try TrainingLoop(run: RunDirectory(path: run), options: options, progress: .quiet).train(trainer, config: config)
        return trainer
    }

    static func expectSameState(_ a: Module, _ b: Module, _ what: String) throws {
        let left = try a.stateDict().dictionary, right = try b.stateDict().dictionary
        #expect(Set(left.keys) == Set(right.keys))
        for (key, tensor) in left {
            let other = try #require(right[key])
            #expect(try maxAbsDifference(tensor, other) == 0, "\(what).\(key) differs after resuming")
        }
    }

    /// Six iterations in one go equal three, a new process's worth of objects, and three more from the checkpoint:
    /// weights, EMA, optimiser moments and every logged loss, bit for bit, with ADA, mixing and both lazy
    /// regularisers active.
    @Test func aResumedRunEqualsTheUninterruptedOne() throws {
        let dir = try Scratch()
        var config = Self.config(try Self.dataset(dir))
        config.augment = true
        config.adaEvery = 2
        let whole = try Self.train(config, run: dir.path("whole"), iterations: 6)
        _ = try Self.train(config, run: dir.path("split"), iterations: 3)
        let resumed = try Self.train(config, run: dir.path("split"), iterations: 6, resume: .auto)
        try Self.expectSameState(whole.generator, resumed.generator, "g")
        try Self.expectSameState(whole.discriminator, resumed.discriminator, "d")
        try Self.expectSameState(whole.generatorEMA, resumed.generatorEMA, "g_ema")
        #expect(whole.augmentationProbability == resumed.augmentationProbability)
        let log = { (run: String) in try String(contentsOfFile: dir.path("\(run)/log.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { line in
                // Wall-clock fields differ between runs; the losses must not.
                line.split(separator: ",").filter { !$0.contains("time") && !$0.contains("rate") }.joined(separator: ",")
            }
        }
        #expect(try log("whole") == log("split"))
        #expect(try log("whole").count == 6)
    }

    /// Checkpoints are rosinality's: the generator loads as one (g_ema), and the other entries are where its
    /// train.py looks for them.
    @Test func checkpointsAreRosinalitys() throws {
        let dir = try Scratch()
        let config = Self.config(try Self.dataset(dir))
        let trainer = try Self.train(config, run: dir.path("run"), iterations: 3)
        let path = dir.path("run/checkpoint/000003.pt")
        let root = try TorchCheckpoint.load(path)
        let keys = try root.dict().stringKeys
        #expect(["g", "d", "g_ema", "g_optim", "d_optim", "args", "ada_aug_p"].allSatisfy(keys.contains), "\(keys)")
        #expect(try root["args"].attribute("size").int() == 16 && root["args"].attribute("cmax").int() == 16)
        #expect(try root["g_optim"]["param_groups"][0]["betas"][0].double() == 0)
        let loaded = try GeneratorCheckpoint.load(path)
        #expect(loaded.layout.contains("g_ema"))
        try Self.expectSameState(loaded.generator, trainer.generatorEMA, "g_ema")
    }

    /// bfloat16 training computes both networks in bfloat16 and keeps float32 parameters: from the same weights,
    /// data and codes its first losses match the float32 run's to bfloat16's precision, and every iteration
    /// (ADA, R1, path length) runs and moves the weights.
    @Test func bfloat16TrainingFollowsFloat32() throws {
        let dir = try Scratch()
        var config = Self.config(try Self.dataset(dir))
        config.augment = true
        let full = try Self.train(config, run: dir.path("float32"), iterations: 4)
        config.precision = .bfloat16
        let start = try StyleGAN2Trainer(config)
        let half = try Self.train(config, run: dir.path("bfloat16"), iterations: 4)
        for (name, p) in try half.generator.namedParameters() + half.discriminator.namedParameters() {
            #expect(p.dtype == .float32, "\(name) is \(p.dtype)")
        }
        let moved = try maxAbsDifference(start.discriminator.stateDict().dictionary["convs.0.0.weight"]!,
                                         half.discriminator.stateDict().dictionary["convs.0.0.weight"]!)
        #expect(moved > 0)
        func losses(_ run: String) throws -> [[String: Double]] {
            try String(contentsOfFile: dir.path("\(run)/log.jsonl"), encoding: .utf8).split(separator: "\n").map {
                let line = try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                return try #require(line["losses"] as? [String: Any]).compactMapValues { $0 as? Double }
            }
        }
        let (a, b) = (try losses("float32"), try losses("bfloat16"))
        #expect(a.count == 4 && b.count == 4)
        for key in ["d", "g", "real_score"] {
            let (x, y) = (try #require(a[0][key], "\(a[0])"), try #require(b[0][key]))
            #expect(abs(x - y) <= 0.02 * max(1, abs(x)), "\(key): float32 \(x), bfloat16 \(y)")
        }
        #expect(a[0]["d"] != b[0]["d"], "the bfloat16 run computed in float32")
        #expect(b.allSatisfy { $0.values.allSatisfy(\.isFinite) } && b.contains { $0["r1"] != nil && $0["path"] != nil })
        // The discriminator alone: bfloat16 logits within bfloat16's precision of float32's.
        let images = try Tensor.rand([4, 3, 16, 16], generator: Torch.Generator(seed: 3)) * 2 - 1
        let exact = try full.discriminator(images), rounded = try full.discriminator(images, compute: .bfloat16)
        #expect(rounded.dtype == .float32)
        let difference = try maxAbsDifference(exact, rounded)
        let largest = try exact.abs().max().item()
        #expect(difference > 0 && difference <= 0.02 * max(1, largest))
    }

    /// Two hundred iterations bring the generator's images toward the data: the Fréchet distance of 4x4-pooled
    /// pixels between 64 samples and the data set falls well below its value at the start.
    @Test func trainingMovesTowardTheData() throws {
        let dir = try Scratch()
        var config = Self.config(try Self.dataset(dir, count: 64))
        config.nSample = 64
        config.lr = 0.005
        func distance(_ trainer: StyleGAN2Trainer) throws -> Double {
            let fake = try #require(try trainer.samples(at: 0))
            var reals: [Tensor] = []
            for i in 0..<64 {
                reals.append(try Image.read(path: dir.path("images/\(String(format: "%03d", i)).png")).tensor())
            }
            let real = try Tensor.cat(reals, dim: 0)
            let features = { (x: Tensor) in try F.avgPool2d(x, kernel: (4, 4)).flatten(from: 1) }
            return try Metrics.frechetDistance(FeatureStatistics(features: features(fake)),
                                               FeatureStatistics(features: features(real)))
        }
        let start = try distance(StyleGAN2Trainer(config))
        let trained = try Self.train(config, run: dir.path("run"), iterations: 200, every: 200)
        let end = try distance(trained)
        print("pixel Fréchet distance: \(start) at the start, \(end) after 200 iterations")
        #expect(end < 0.65 * start, "start \(start), after 200 iterations \(end)")  // reaches 0.50 here
    }

    /// The periodic evaluation logs a Fréchet distance beside the losses (here in 4x4-pooled pixels; FID is the
    /// same with Inception's features), on the same codes each time.
    @Test func evaluationsAreLogged() throws {
        let dir = try Scratch()
        let trainer = try StyleGAN2Trainer(Self.config(try Self.dataset(dir)))
        trainer.evaluation = try FrechetEvaluation(name: "fd_pixels", samples: 16) {
            try F.avgPool2d($0, kernel: (4, 4)).flatten(from: 1)
        }
        let first = try trainer.evaluate(at: 0, group: SingleProcess())
        #expect(first.count == 1 && first[0].name == "fd_pixels" && first[0].value.isFinite && first[0].value > 0)
        #expect(try trainer.evaluate(at: 0, group: SingleProcess()) == first, "same codes, same generator, same score")
        let options = TrainingOptions(iterations: 4, checkpointEvery: 4, sampleEvery: nil, evaluateEvery: 2)
        _ = try TrainingLoop(run: RunDirectory(path: dir.path("run")), options: options, progress: .quiet)
            .train(trainer, config: Self.config(dir.path("images")))
        let log = try String(contentsOfFile: dir.path("run/log.jsonl"), encoding: .utf8)
        #expect(log.components(separatedBy: "fd_pixels").count - 1 == 2, "\(log)")
        #expect(throws: StyleGAN2TrainingError.self) {
            _ = try FrechetEvaluation(name: "x", samples: 1) { $0 }
        }
    }

    /// StyleGAN2-ADA's `--cfg` presets, as its train.py fills them for one GPU, and its EMA schedule.
    @Test func presetsAreStyleGAN2ADAs() throws {
        var c = StyleGAN2TrainingConfig(dataset: "d")
        #expect(c.emaDecay(afterIterations: 5) == Foundation.pow(0.5, 32.0 / 10_000))
        c.apply(.paper256)
        #expect(c.batch == 64 && c.mbstd == 8 && c.cbase == 16384 && c.cmax == 512 && c.lr == 0.0025 && c.r1 == 1)
        #expect(c.emaKimg == 20 && c.emaRampup == nil && c.nMLP == 8 && c.iter == 390_625)
        #expect(abs(c.emaDecay(afterIterations: 0) - Foundation.pow(0.5, 64.0 / 20_000)) < 1e-15)
        c = StyleGAN2TrainingConfig(dataset: "d")
        c.size = 256
        c.apply(.auto)
        #expect(c.batch == 16 && c.mbstd == 4 && c.cbase == 16384 && c.lr == 0.0025 && c.nMLP == 2)
        #expect(abs(c.r1 - 0.8192) < 1e-12 && c.emaKimg == 5 && c.emaRampup == 0.05)
        // The ramp-up: no images seen, the EMA copies; after 100 iterations it averages over 80 images.
        #expect(c.emaDecay(afterIterations: 0) == 0)
        #expect(abs(c.emaDecay(afterIterations: 100) - Foundation.pow(0.5, 16.0 / 80)) < 1e-12)
        try c.validate()
    }

    @Test func badInputIsRefused() throws {
        let dir = try Scratch()
        try FileManager.default.createDirectory(atPath: dir.path("empty"), withIntermediateDirectories: true)
        for (dataset, words) in [(dir.path("missing"), "missing"), (dir.path("empty"), "empty")] {
            do {
                _ = try StyleGAN2Trainer(Self.config(dataset))
                Issue.record("\(dataset) was accepted")
            } catch {
                #expect("\(error)".contains(dataset), "\(words): \(error)")
            }
        }
        // A checkpoint of another size does not resume this run, and says so.
        let images = try Self.dataset(dir)
        _ = try Self.train(Self.config(images), run: dir.path("small"), iterations: 1, every: 1)
        var other = Self.config(images)
        other.cmax = 8
        do {
            _ = try Self.train(other, run: dir.path("other"), iterations: 2,
                               resume: .checkpoint(path: dir.path("small/checkpoint/000001.pt")))
            Issue.record("a checkpoint of other widths resumed")
        } catch {
            #expect("\(error)".contains("does not fit this run"), "\(error)")
        }
    }
}
