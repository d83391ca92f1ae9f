import Foundation
import Perception
import PerceptionTraining
import Testbed
import Testing
import Torch
import Training

/// Tiny widths and 64-pixel renders, so each test trains in seconds.
func tinyParserConfig(_ network: ParserTrainingConfig.Network) -> ParserTrainingConfig {
    ParserTrainingConfig(network: network,
                         bisenet: BiSeNet.Config(stem: 8, stages: [8, 8, 16, 16], context: 8, fusion: 8, auxiliaryHead: 8),
                         unet: UNetFaceParser.Config(widths: [4, 8, 16, 32, 64]), size: 64, batch: 4, learningRate: 5e-3,
                         evaluationImages: 8)
}

func temporaryFolder(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "parser-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("Parser training", .serialized)
struct ParsingTrainingTests {
    @Test("the training loss falls over a few steps", arguments: ParserTrainingConfig.Network.allCases)
    func lossDecreases(_ network: ParserTrainingConfig.Network) throws {
        let trainer = try ParserTrainer(config: tinyParserConfig(network))
        var losses: [Double] = []
        for index in 0..<24 {
            let report = try trainer.step(Iteration(index: index, total: 1000))
            losses.append(try #require(report.scalars.first { $0.name == "loss" }).value)
        }
        let first = losses.prefix(4).reduce(0, +) / 4, last = losses.suffix(4).reduce(0, +) / 4
        #expect(last < 0.9 * first, "losses \(losses)")
    }

    /// Three pixels of class 0 and one of class 1: shares 3/4 and 1/4, so raw weights sqrt(4/3) and 2, scaled to a
    /// pixel-weighted mean of 1; class 2 is absent and weighs 0.
    @Test("class weights lift rare classes and keep the mean pixel weight at 1")
    func classWeights() throws {
        let labels = try Tensor([Int64(0), 0, 0, 1], shape: [1, 2, 2])
        let weights = try ParserLoss.classWeights(labels, classCount: 3, power: 0.5).floats()
        let mean = (3 * (4.0 / 3).squareRoot() + 2) / 4
        #expect(abs(Double(weights[0]) - (4.0 / 3).squareRoot() / mean) < 1e-6)
        #expect(abs(Double(weights[1]) - 2 / mean) < 1e-6)
        #expect(weights[2] == 0)
        #expect(abs(Double(3 * weights[0] + weights[1]) / 4 - 1) < 1e-6)
        #expect(try ParserLoss.classWeights(labels, classCount: 3, power: 0).floats() == [1, 1, 0])
        // Logits that favour class 0 everywhere: the one class-1 pixel is the costly mistake, and weighted it counts
        // more (pixel losses log(e² + 2) − 2 and log(e² + 2)).
        let logits = try Tensor([Float(2), 2, 2, 2] + Array(repeating: 0, count: 8), shape: [1, 3, 2, 2])
        let easy = Foundation.log(Foundation.exp(2.0) + 2) - 2, hard = Foundation.log(Foundation.exp(2.0) + 2)
        let w0 = Double(weights[0]), w1 = Double(weights[1])
        let plain = try ParserLoss.training(heads: [logits], labels: labels, network: .unet, ohemThreshold: 0.7).total
        let weighted = try ParserLoss.training(heads: [logits], labels: labels, network: .unet, ohemThreshold: 0.7,
                                               classWeightPower: 0.5).total
        #expect(abs(try plain.item() - (3 * easy + hard) / 4) < 1e-5)
        #expect(abs(try weighted.item() - (3 * w0 * easy + w1 * hard) / (3 * w0 + w1)) < 1e-5)
    }

    @Test("bad settings are refused before any work, naming the setting")
    func badSettings() throws {
        func message(_ change: (inout ParserTrainingConfig) -> Void) -> String {
            var config = ParserTrainingConfig.testbed(.unet)
            change(&config)
            do { _ = try ParserTrainer(config: config) } catch { return "\(error)" }
            return ""
        }
        #expect(message { $0.size = 100 }.contains("size must be one of 64, 128, 256, 512"))
        #expect(message { $0.batch = 0 }.contains("batch"))
        #expect(message { $0.classWeightPower = 2 }.contains("class weight power"))
        #expect(message { $0.unet = UNetFaceParser.Config(widths: [8, 8, 8, 8, 8]) }.contains("twice"))
        #expect(message { $0.augmentation.scales = [0.5] }.contains("scales"))
        #expect(ParserTrainingConfig.testbed(.unet).classWeightPower == 0.5)
        #expect(ParserTrainingConfig.testbed(.bisenet).size == 512)
        #expect(ParserTrainingConfig.testbed(.unet).size == 256)
    }

    @Test("a resumed run continues exactly as the uninterrupted one")
    func resumeIsExact() throws {
        let folder = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = tinyParserConfig(.bisenet)
        let trainer = try ParserTrainer(config: config)
        for index in 0..<2 { _ = try trainer.step(Iteration(index: index, total: 10)) }
        let checkpoint = folder + "/000002.pt"
        try trainer.saveState(to: checkpoint, iteration: 2)
        let expected = try trainer.step(Iteration(index: 2, total: 10)).scalars

        var other = config
        other.seed = 99  // different initial weights and streams: everything must come from the checkpoint
        let resumed = try ParserTrainer(config: other)
        #expect(try resumed.loadState(from: checkpoint) == 2)
        let got = try resumed.step(Iteration(index: 2, total: 10)).scalars
        #expect(got.map(\.name) == expected.map(\.name))
        for (a, b) in zip(got, expected) { #expect(abs(a.value - b.value) < 1e-5, "\(a.name): \(a.value) vs \(b.value)") }
    }

    @Test("a checkpoint of another network or size is refused, naming the file")
    func mismatchedCheckpointIsRefused() throws {
        let folder = try temporaryFolder("mismatch")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/000000.pt"
        try ParserTrainer(config: tinyParserConfig(.unet)).saveState(to: path, iteration: 0)
        let error = #expect(throws: (any Error).self) { try ParserTrainer(config: tinyParserConfig(.bisenet)).loadState(from: path) }
        #expect("\(error.map { "\($0)" } ?? "")".contains(path))
    }

    @Test("the training loop runs, logs the mIoU and writes a checkpoint")
    func trainingLoopRuns() throws {
        let folder = try temporaryFolder("loop")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = tinyParserConfig(.unet)
        let loop = TrainingLoop(run: RunDirectory(path: folder), options: TrainingOptions(
            iterations: 3, checkpointEvery: 3, sampleEvery: nil, evaluateEvery: 3, resume: .auto), progress: .quiet)
        let outcome = try loop.train(ParserTrainer(config: config), config: config)
        #expect(outcome == .finished(iteration: 3, checkpoint: folder + "/checkpoint/000003.pt"))
        let log = try String(contentsOfFile: folder + "/log.jsonl", encoding: .utf8)
        #expect(log.contains("miou"))
    }
}
