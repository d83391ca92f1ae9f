import Checkpoints
import Encoders
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch
import Training

@testable import EncoderTraining

/// pSp's trainer on tiny models (a 32-pixel generator with 16-dimensional codes, the encoder at 1/16 of IR-SE50's
/// widths): it learns, resumes exactly, writes checkpoints the encoder loader reads, and refuses bad input.
@Suite("pSp trainer", .serialized)
struct PSPTrainerTests {
    init() throws { try Runtime.start() }

    /// A tiny generator in rosinality's layout and 16 of its own images at `side` pixels (reachable targets).
    static func setUp(_ dir: Scratch, count: Int = 16, side: Int = 32) throws -> (generator: String, images: String) {
        Torch.manualSeed(11)
        let config = try GeneratorConfig(size: 32, styleDim: 16, nMLP: 2, channels: [16, 16, 16, 8])
        let generator = try StyleGAN2Generator(config, generator: Torch.Generator(seed: 3))
        let path = dir.path("generator.pt")
        let average = try withNoGrad { try generator.mapping(Tensor.randn([256, 16], generator: Torch.Generator(seed: 4))).mean([0]) }
        try TorchCheckpoint.save(.dict(["g_ema": CheckpointValue(try generator.stateDict()), "latent_avg": .tensor(average)]),
                                 to: path)
        let folder = dir.path("images")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let z = try Tensor.randn([count, 16], generator: Torch.Generator(seed: 5))
        let images = try withNoGrad { try generator.synthesis(generator.latents([z]), noise: .const) }
        for i in 0..<count {
            var image = try images.slice(0, i, i + 1).clamp(min: -1, max: 1)
            if side != 32 { image = try F.interpolate(image, size: (side, side), mode: .bilinear, alignCorners: false) }
            try Image(tensor: image.contiguous()).write(to: "\(folder)/\(String(format: "%03d", i)).png")
        }
        return (path, folder)
    }

    static func config(_ files: (generator: String, images: String)) -> EncoderTrainingConfig {
        var c = EncoderTrainingConfig(dataset: files.images, styleganWeights: files.generator)
        c.encoderWidthDivisor = 16
        c.encoderInputSize = 32
        (c.lpipsLambda, c.idLambda) = (0, 0)
        c.optimName = .adam
        c.learningRate = 0.001
        c.batchSize = 2
        c.workers = 1
        c.startFromLatentAvg = true
        c.wNormLambda = 0.001
        return c
    }

    static func train(_ config: EncoderTrainingConfig, run: String, iterations: Int, resume: Resume = .fresh,
                      every: Int = 3, make: (EncoderTrainingConfig) throws -> PSPTrainer = { try PSPTrainer($0) }) throws
        -> (PSPTrainer, [[String: Double]])
    {
        let trainer = try make(config)
        let options = TrainingOptions(iterations: iterations, checkpointEvery: every, sampleEvery: nil,
                                      evaluateEvery: config.testDataset == nil ? nil : config.valInterval, resume: resume)
        _ = try TrainingLoop(run: RunDirectory(path: run), options: options, progress: .quiet).train(trainer, config: config)
        return (trainer, try log(run))
    }

    /// `log.jsonl`'s losses, one dictionary per line.
    static func log(_ run: String) throws -> [[String: Double]] {
        try String(contentsOfFile: run + "/log.jsonl", encoding: .utf8).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["losses"] as? [String: Double])
        }
    }

    @Test func theEncoderLearnsTheGeneratorsImages() throws {
        let dir = try Scratch()
        var config = Self.config(try Self.setUp(dir))
        config.batchSize = 4
        let (_, log) = try Self.train(config, run: dir.path("run"), iterations: 60, every: 60)
        let l2 = log.map { $0["loss_l2"]! }
        let first = l2.prefix(8).reduce(0, +) / 8, last = l2.suffix(8).reduce(0, +) / 8
        #expect(last < 0.6 * first, "l2 fell from \(first) to \(last) only")
        #expect(log.allSatisfy { Set($0.keys) == ["loss_l2", "loss_w_norm", "loss"] })
    }

    /// `--id_network dlib`: dlib's face-recognition ResNet (where `make setup` installs it) serves as the id term: it is
    /// logged with pSp's `id_improve`, finite, and the run steps; without an id weight, or without the file, it is refused.
    @Test func dlibsNetworkServesAsTheIdentityTerm() throws {
        let dir = try Scratch()
        var config = Self.config(try Self.setUp(dir))
        (config.idLambda, config.idNetwork) = (0.1, .dlib)
        let (_, log) = try Self.train(config, run: dir.path("run"), iterations: 2, every: 2)
        #expect(log.count == 2)
        #expect(log.allSatisfy { ($0["loss_id"] ?? -1) >= 0 && $0["loss_id"]!.isFinite && $0["id_improve"] != nil }, "\(log)")
        var off = config
        off.idLambda = 0
        #expect(throws: EncoderTrainingError.self) { try off.validate() }
        var missing = config
        missing.dlibModels = dir.path("nowhere")
        let error = try #require(throws: EncoderTrainingError.self) { try PSPTrainer(missing) }
        #expect(error.description.contains("dlib_face_recognition_resnet_model_v1.dat"), "\(error)")
    }

    /// Six iterations in one go equal three, new objects, and three more from the checkpoint: the encoder (batch-norm
    /// statistics included), the optimiser, the data order, the noise and every logged loss, bit for bit.
    @Test func aResumedRunEqualsTheUninterruptedOne() throws {
        let dir = try Scratch()
        let config = Self.config(try Self.setUp(dir))
        let (whole, wholeLog) = try Self.train(config, run: dir.path("whole"), iterations: 6)
        _ = try Self.train(config, run: dir.path("split"), iterations: 3)
        let (resumed, splitLog) = try Self.train(config, run: dir.path("split"), iterations: 6, resume: .auto)
        #expect(wholeLog == splitLog)
        let a = try whole.encoder.stateDict().dictionary, b = try resumed.encoder.stateDict().dictionary
        #expect(Set(a.keys) == Set(b.keys))
        for (key, tensor) in a { #expect(try maxAbsDifference(tensor, #require(b[key])) == 0, "encoder.\(key)") }
    }

    /// A checkpoint is pSp's container: `EncoderCheckpoint.load` builds the same narrow encoder from its opts and
    /// encodes as the trainer's encoder does in eval mode, `latent_avg` included.
    @Test func checkpointsLoadAsPSPEncoders() throws {
        let dir = try Scratch()
        let config = Self.config(try Self.setUp(dir))
        let (trainer, _) = try Self.train(config, run: dir.path("run"), iterations: 2, every: 2)
        let path = dir.path("run/checkpoint/000002.pt")
        let root = try TorchCheckpoint.load(path)
        #expect(try root["opts"]["encoder_type"].string() == "GradualStyleEncoder")
        #expect(try root["opts"]["output_size"].int() == 32)
        #expect(try root["latent_avg"].tensor().shape == [8, 16])
        let loaded = try EncoderCheckpoint.load(path)
        #expect(loaded.encoder.method == "psp")
        #expect(loaded.encoder.inputSize == 32)
        let images = try Tensor.rand([2, 3, 32, 32], generator: Torch.Generator(seed: 1)) * 2 - 1
        let generator = try #require(loaded.generator).generator
        let codes = try loaded.encoder.encode(images, generator: generator).wPlus
        trainer.encoder.eval()
        let expected = try withNoGrad { try trainer.encoder.styleCodes(images) + trainer.latentAvg }
        #expect(try maxAbsDifference(codes, expected) < 1e-5)
    }

    /// pSp's validation: test losses under `test/`, and `best_model.pt` in pSp's layout when the loss improves.
    @Test func validationWritesTheBestModel() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir)
        var config = Self.config(files)
        config.testDataset = files.images
        config.valInterval = 2
        let trainer = try PSPTrainer(config)
        let run = RunDirectory(path: dir.path("run"))
        trainer.bestModelFolder = run.checkpointFolder
        let options = TrainingOptions(iterations: 4, checkpointEvery: 4, sampleEvery: nil, evaluateEvery: 2)
        _ = try TrainingLoop(run: run, options: options, progress: .quiet).train(trainer, config: config)
        let best = try TorchCheckpoint.load(dir.path("run/checkpoint/best_model.pt"))
        guard case .dict(let top) = best else { Issue.record("best_model.pt is not a dict"); return }
        #expect(Set(top.stringKeys) == ["state_dict", "opts", "latent_avg"])
        let stamps = try String(contentsOfFile: dir.path("run/checkpoint/timestamp.txt"), encoding: .utf8)
        #expect(stamps.contains("**Best**: Step - 2"))
        let lines = try String(contentsOfFile: dir.path("run/log.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.contains("\"test/loss\"") }.count == 2)
    }

    @Test func wNormIsPSPsFormula() throws {
        let latent = try Tensor.randn([3, 4, 5], generator: Torch.Generator(seed: 2))
        let average = try Tensor.randn([5], generator: Torch.Generator(seed: 3))
        let value = try EncoderLoss.wNorm(latent, latentAvg: average).item()
        var expected = 0.0
        for n in 0..<3 { expected += try (latent.select(0, n) - average).pow(2).sum().sqrt().item() }
        #expect(abs(value - expected / 3) < 1e-5)
        let crop = try EncoderLoss.crop(Tensor.zeros([1, 3, 256, 256]))
        #expect(crop.shape == [1, 3, 188, 188])
    }

    @Test func badInputIsRefusedWithTheFileNamed() throws {
        let dir = try Scratch()
        let files = try Self.setUp(dir, count: 2)
        var config = Self.config(files)
        config.idLambda = 0.1
        #expect(throws: EncoderTrainingError.self) { _ = try PSPTrainer(config) }
        do {
            _ = try PSPTrainer(config)
        } catch {
            #expect("\(error)".contains("model_ir_se50.pth or identity.safetensors"))
        }
        config = Self.config(files)
        config.batchSize = 4
        do {
            _ = try PSPTrainer(config)
            Issue.record("a dataset smaller than a batch trained")
        } catch {
            #expect("\(error)".contains("2 images, fewer than one batch of 4"))
        }
        config = Self.config(files)
        config.outputSize = 64
        do {
            _ = try PSPTrainer(config)
            Issue.record("a 64-pixel --output_size trained a 32-pixel generator")
        } catch {
            #expect("\(error)".contains("--output_size 64 does not match"))
        }
        config = Self.config(files)
        (config.idLambda, config.mocoLambda) = (0.1, 0.5)
        #expect(throws: EncoderTrainingError.self) { try config.validate() }
        config = Self.config(files)
        config.encoderType = .backboneEncoderUsingLastLayerIntoWPlus
        let (_, _) = try Self.train(Self.config(files), run: dir.path("gradual"), iterations: 1, every: 1)
        do {
            _ = try Self.train(config, run: dir.path("gradual"), iterations: 2, resume: .auto)
            Issue.record("a GradualStyleEncoder checkpoint resumed a BackboneEncoderUsingLastLayerIntoWPlus run")
        } catch {
            #expect("\(error)".contains("000001.pt"))
        }
    }
}

/// pSp's super-resolution task: the bicubic down-sampling against the official `BicubicDownSample`
/// (`Resources/psp-superres`), the whole source transform, and a run that learns to restore.
@Suite("pSp super-resolution", .serialized)
struct SuperResolutionTests {
    init() throws { try Runtime.start() }

    @Test func bicubicDownSamplingMatchesTheOfficialCode() throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("Tests/EncoderTrainingTests/Resources/psp-superres").path
        let cases = try Safetensors.read(folder + "/cases.safetensors").tensors.dictionary
        let x = try #require(cases["x"])
        for factor in [1, 2, 4, 8, 16] {
            try expectClose(try SuperResolution.bicubicDownSample(x, factor: factor), try #require(cases["down_\(factor)"]),
                            tol: 1e-5, "factor \(factor)")
        }
    }

    @Test func sourcesAreShrunkAndEnlargedTargets() throws {
        let sr = try SuperResolution(factors: "4")
        let y = try Tensor.rand([2, 3, 32, 32], generator: Torch.Generator(seed: 3)) * 2 - 1
        let x = try sr.sources(y, generator: Torch.Generator(seed: 1))
        #expect(x.shape == y.shape)
        // 8-bit steps, and no detail finer than the factor: a 4x4 block's pixels vary smoothly.
        let levels = try (x + 1) * 127.5
        #expect(try (levels - levels.round()).abs().max().item() < 1e-3)
        #expect(try maxAbsDifference(x, y) > 0.05)
        let same = try SuperResolution(factors: "1").sources(y, generator: Torch.Generator(seed: 1))
        let nearly = try (same - y).abs().mean().item(), shrunk = try (x - y).abs().mean().item()
        #expect(nearly < shrunk)
        for bad in ["", "1,x", "128", "0", "2.5"] {
            #expect(throws: EncoderTrainingError.self) { _ = try SuperResolution(factors: bad) }
        }
    }

    /// A run on the generator's images learns to invert their shrunk copies; losses compare with the full images.
    @Test func aSuperResolutionRunLearns() throws {
        let dir = try Scratch()
        var config = PSPTrainerTests.config(try PSPTrainerTests.setUp(dir))
        (config.resizeFactors, config.batchSize, config.datasetType) = ("1,2,4", 4, "celebs_super_resolution")
        let (trainer, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 40, every: 40)
        #expect(trainer.superResolution?.factors == [1, 2, 4])
        let l2: [Double] = log.map { $0["loss_l2"]! }
        let early: Double = l2.prefix(8).reduce(0, +), late: Double = l2.suffix(8).reduce(0, +)
        #expect(late < 0.7 * early, "l2: \(l2)")
        for bad in ["1,32", "3"] {
            config.resizeFactors = bad
            #expect(throws: EncoderTrainingError.self, "\(bad) on 32-pixel inputs") { try config.validate() }
        }
    }
}

/// The restoration tasks' paired data (`source_dataset`): each source meets its own target, in every epoch and
/// after a resume; a colourisation run (gray sources) learns.
@Suite("Paired sources", .serialized)
struct PairedSourceTests {
    init() throws { try Runtime.start() }

    /// The generator's images and their gray copies (ITU-R 601 luma, as PIL's convert("L")) under the same names.
    static func setUp(_ dir: Scratch) throws -> (files: (generator: String, images: String), gray: String) {
        let files = try PSPTrainerTests.setUp(dir)
        let gray = dir.path("gray")
        try FileManager.default.createDirectory(atPath: gray, withIntermediateDirectories: true)
        let weights = try Tensor([Float(0.299), 0.587, 0.114]).view([1, 3, 1, 1])
        for name in try FileManager.default.contentsOfDirectory(atPath: files.images).sorted() {
            let image = try Image.read(path: files.images + "/" + name).tensor()
            let luma = try (image * weights).sum([1], keepdim: true).expand(image.shape).contiguous()
            try Image(tensor: luma).write(to: gray + "/" + name)
        }
        return (files, gray)
    }

    @Test func sourcesMeetTheirTargetsAndTheRunLearns() throws {
        let dir = try Scratch()
        let (files, gray) = try Self.setUp(dir)
        var config = PSPTrainerTests.config(files)
        (config.sourceDataset, config.batchSize) = (gray, 4)
        let trainer = try PSPTrainer(config)
        for _ in 0..<6 {  // past an epoch of 16 images
            let y = try trainer.loader.next().images, x = try #require(trainer.sourceLoader).next().images
            let weights = try Tensor([Float(0.299), 0.587, 0.114]).view([1, 3, 1, 1])
            let luma = try (y * weights).sum([1], keepdim: true).expand(y.shape)
            #expect(try (x - luma).abs().max().item() < 0.02, "a source met another image's target")
        }
        let (_, log) = try PSPTrainerTests.train(config, run: dir.path("run"), iterations: 40, every: 40)
        let l2: [Double] = log.map { $0["loss_l2"]! }
        let early: Double = l2.prefix(8).reduce(0, +), late: Double = l2.suffix(8).reduce(0, +)
        #expect(late < 0.7 * early, "l2: \(l2)")
    }

    @Test func aResumedPairedRunEqualsTheUninterruptedOne() throws {
        let dir = try Scratch()
        let (files, gray) = try Self.setUp(dir)
        var config = PSPTrainerTests.config(files)
        config.sourceDataset = gray
        let (_, wholeLog) = try PSPTrainerTests.train(config, run: dir.path("whole"), iterations: 12, every: 6)
        _ = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 6, every: 6)
        let (_, splitLog) = try PSPTrainerTests.train(config, run: dir.path("split"), iterations: 12, resume: .auto, every: 6)
        #expect(wholeLog == splitLog)
        var bad = config
        bad.resizeFactors = "2"
        #expect(throws: EncoderTrainingError.self) { try bad.validate() }
        bad = config
        bad.sourceDataset = dir.path("images/000.png")
        #expect(throws: (any Error).self) { _ = try PSPTrainer(bad) }
    }
}

@Suite("Label maps")
struct LabelMapTests {
    @Test func grayIdsBecomeOneHotMaps() throws {
        let ids = try Tensor([Float(0), 1, 2, 18]).view([1, 1, 2, 2])
        let images = try (ids / 255 * 2 - 1).expand([1, 3, 2, 2])
        let oneHot = try LabelMaps.oneHot(images, classes: 19)
        #expect(oneHot.shape == [1, 19, 2, 2])
        #expect(try oneHot.sum([1]).min().item() == 1)
        #expect(try oneHot.select(1, 18).select(0, 0).select(0, 1).select(0, 1).item() == 1)
        #expect(throws: TorchError.self) { _ = try LabelMaps.oneHot(images, classes: 18) }
        #expect(throws: TorchError.self) { _ = try LabelMaps.oneHot(images + 0.002, classes: 19) }
    }

    /// Sketches are gray and in [0, 1], as pSp's `convert('L')` and `ToTensor` leave them.
    @Test func sketchesAreOneGrayChannel() throws {
        let white = try Tensor.ones([1, 3, 2, 2]), black = try Tensor.ones([1, 3, 2, 2]) * -1
        #expect(try LabelMaps.sketch(white).shape == [1, 1, 2, 2])
        #expect(abs(try LabelMaps.sketch(white).min().item() - 1) < 1e-6)
        #expect(abs(try LabelMaps.sketch(black).max().item()) < 1e-6)
    }
}
