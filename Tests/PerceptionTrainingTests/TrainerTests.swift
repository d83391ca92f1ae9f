import Checkpoints
import Foundation
import Perception
@testable import PerceptionTraining
import Testbed
import Testing
import Torch
import Training

/// The perception trainers on the engine: learning, exact resumption, the shipped files and their loaders.
@Suite("Perception trainers", .serialized)
struct TrainerTests {
    static func identityConfig() -> IdentityTrainingConfig {
        IdentityTrainingConfig(network: .tiny, renderSize: 64, identities: 4, batch: 8, freshRenders: 4, poolSteps: 3, learningRate: 3e-3, warmup: 0,
                               scale: 16, margin: 0.2, seed: 3, evaluationIdentities: 3)
    }

    static func attributeConfig() -> AttributeTrainingConfig {
        AttributeTrainingConfig(width: 4, renderSize: 64, trainSamples: 64, batch: 8, freshRenders: 4, poolSteps: 3, learningRate: 3e-3, warmup: 0,
                                seed: 3, evaluationSamples: 8)
    }

    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("percep-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func train(_ trainer: some Trainer, in run: String, iterations: Int, resume: Resume = .fresh) throws {
        let options = TrainingOptions(iterations: iterations, checkpointEvery: 2, sampleEvery: nil, resume: resume)
        _ = try TrainingLoop(run: RunDirectory(path: run), options: options, progress: .quiet)
            .train(trainer, config: ["test": 1])
    }

    /// A run of `iterations` that fails at step `failAt` (after its checkpoint at `failAt`), then is resumed.
    static func interruptedThenResumed(_ make: () throws -> any Trainer, in run: String, iterations: Int,
                                       failAt: Int) throws
    {
        #expect(throws: Stop.self) {
            try train(Failing(make(), at: failAt), in: run, iterations: iterations)
        }
        try train(make(), in: run, iterations: iterations, resume: .auto)
    }

    struct Stop: Error {}

    /// Forwards to a trainer and throws at step `at`, as a killed process would stop.
    final class Failing: Trainer {
        let inner: any Trainer
        let at: Int
        init(_ inner: any Trainer, at: Int) { (self.inner, self.at) = (inner, at) }
        var batchSize: Int { inner.batchSize }
        var checkpointExtension: String { inner.checkpointExtension }
        func step(_ iteration: Iteration) throws -> StepReport {
            if iteration.index == at { throw Stop() }
            return try inner.step(iteration)
        }
        func saveState(to path: String, iteration: Int) throws { try inner.saveState(to: path, iteration: iteration) }
        func loadState(from path: String) throws -> Int? { try inner.loadState(from: path) }
    }

    @Test func identityLossDecreasesOnATinyRun() throws {
        var config = Self.identityConfig()
        (config.identities, config.batch, config.freshRenders, config.poolSteps) = (2, 16, 8, 4)
        config.learningRate = 1e-2
        let trainer = try IdentityTrainer(config)
        var losses: [Double] = []
        for index in 0..<40 {
            losses.append(try trainer.step(Iteration(index: index, total: 40)).scalars[0].value)
        }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < 0.8 * first, "ArcFace loss \(first) -> \(last)")
    }

    @Test func identityRunsDrawVariationsBeyondTheSplitsSixteen() throws {
        let renderer = try TestbedRenderer(size: 64)
        let split = RenderPool(renderer: renderer, split: .train, samples: 4 * 16, fresh: 64, steps: 1, seed: 1)
        for sample in try split.samples(ofStep: 0) {
            #expect(sample == TestbedSplit.train.sample(at: sample.identity * 16 + sample.variation))
        }
        let wide = RenderPool(renderer: renderer, split: .train, samples: 4 * (1 << 20), variations: 1 << 20,
                              fresh: 64, steps: 1, seed: 1)
        let drawn = try wide.samples(ofStep: 0)
        #expect(drawn.allSatisfy { (0..<4).contains($0.identity) && (0..<(1 << 20)).contains($0.variation) })
        #expect(drawn.filter { $0.variation >= 16 }.count > 60)
        // A run folder's configuration from before `variations` reads as the split's 16.
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.identityConfig())) as! [String: Any]
        json["variations"] = nil
        let old = try JSONDecoder().decode(IdentityTrainingConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old == Self.identityConfig() && old.variations == 16)
        var bad = Self.identityConfig()
        bad.variations = 0
        #expect(throws: PerceptionTrainingError.self) { _ = try IdentityTrainer(bad) }
    }

    @Test func marginRisesOverTheWarmUp() throws {
        var config = Self.identityConfig()
        (config.margin, config.marginWarmup) = (0.4, 4)
        let trainer = try IdentityTrainer(config)
        var margins: [Double] = []
        for index in 0..<6 {
            let report = try trainer.step(Iteration(index: index, total: 6))
            margins.append(try #require(report.scalars.first { $0.name == "margin" }).value)
        }
        #expect(zip(margins, [0, 0.1, 0.2, 0.3, 0.4, 0.4]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(margins)")
        config.marginWarmup = -1
        #expect(throws: PerceptionTrainingError.self) { _ = try IdentityTrainer(config) }
    }

    @Test func attributeLossDecreasesOnATinyRun() throws {
        let trainer = try AttributeTrainer(Self.attributeConfig())
        var losses: [Double] = []
        for index in 0..<30 {
            let scalars = try trainer.step(Iteration(index: index, total: 30)).scalars
            losses.append(scalars[0].value + scalars[1].value)
        }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < 0.8 * first, "attribute loss \(first) -> \(last)")
    }

    @Test func resumedIdentityRunEqualsTheUninterruptedOne() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.train(IdentityTrainer(Self.identityConfig()), in: root + "/whole", iterations: 4)
        try Self.interruptedThenResumed({ try IdentityTrainer(Self.identityConfig()) }, in: root + "/split",
                                        iterations: 4, failAt: 2)
        let a = try TorchCheckpoint.load(root + "/whole/checkpoint/000004.pt")
        let b = try TorchCheckpoint.load(root + "/split/checkpoint/000004.pt")
        for key in ["backbone", "head"] {
            let left = try a[key].stateDict().dictionary, right = try b[key].stateDict().dictionary
            #expect(left.count == right.count && !left.isEmpty)
            for (name, tensor) in left {
                let other = try #require(right[name])
                #expect(try (tensor.to(dtype: .float64) - other.to(dtype: .float64)).abs().max().item() == 0, "\(key).\(name)")
            }
        }
        // Other evaluation settings resume; a checkpoint of another configuration is refused, naming the file.
        var evaluation = Self.identityConfig()
        evaluation.evaluationIdentities = 7
        #expect(try IdentityTrainer(evaluation).loadState(from: root + "/whole/checkpoint/000004.pt") == 4)
        var other = Self.identityConfig()
        other.identities = 5
        #expect(throws: PerceptionTrainingError.self) {
            _ = try IdentityTrainer(other).loadState(from: root + "/whole/checkpoint/000004.pt")
        }
    }

    @Test func resumedAttributeRunEqualsTheUninterruptedOne() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.train(AttributeTrainer(Self.attributeConfig()), in: root + "/whole", iterations: 4)
        try Self.interruptedThenResumed({ try AttributeTrainer(Self.attributeConfig()) }, in: root + "/split",
                                        iterations: 4, failAt: 2)
        let a = try TorchCheckpoint.load(root + "/whole/checkpoint/000004.pt")["classifier"].stateDict().dictionary
        let b = try TorchCheckpoint.load(root + "/split/checkpoint/000004.pt")["classifier"].stateDict().dictionary
        #expect(a.count == b.count && !a.isEmpty)
        for (name, tensor) in a {
            let other = try #require(b[name])
            #expect(try (tensor.to(dtype: .float64) - other.to(dtype: .float64)).abs().max().item() == 0, "\(name)")
        }
    }

    @Test func exportedIdentityWeightsLoadWithIRSE50Load() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let trainer = try IdentityTrainer(Self.identityConfig())
        for index in 0..<2 { _ = try trainer.step(Iteration(index: index, total: 2)) }
        let path = root + "/identity.safetensors"
        try trainer.exportWeights(to: path)
        let file = try Safetensors.read(path)
        #expect(file.tensors.dictionary["input_layer.0.weight"]?.dtype == .float16)
        #expect(file.tensors.dictionary.keys.contains("output_layer.3.weight"))
        let loaded = try IRSE50.load(from: path)
        #expect(loaded.configuration == .tiny)
        let images = try TestbedRenderer(size: 64).render(split: .test, indices: 0..<4).images
        trainer.network.eval()
        let want = try withNoGrad { try trainer.network.idLossEmbedding(images) }
        let got = try loaded.idLossEmbedding(images)
        #expect(try F.cosineSimilarity(got, want).min().item() > 0.999)
        // A new run can start from the file (the head afresh), and only with the same configuration.
        let further = try IdentityTrainer(Self.identityConfig(), initialWeights: path)
        further.network.eval()
        #expect(try F.cosineSimilarity(withNoGrad { try further.network.idLossEmbedding(images) }, want).min().item() > 0.999)
        var other = Self.identityConfig()
        other.network.embeddingSize = 16
        #expect(throws: PerceptionTrainingError.self) { _ = try IdentityTrainer(other, initialWeights: path) }
        // Its first step imprints the head: each class centre is the mean embedding of two renders of that identity.
        let views = (0..<4).flatMap { i in (0..<2).map { TestbedSample(split: .train, identity: i, variation: $0) } }
        let centres = try further.embeddings(of: views).reshape([4, 2, 8]).mean([1])  // [4, E]
        #expect(try F.cosineSimilarity(further.head.kernel.detach().transpose(0, 1), centres).min().item() < 0.9)
        _ = try further.step(Iteration(index: 0, total: 1))
        // One Adam step of 3e-3 later.
        #expect(try F.cosineSimilarity(further.head.kernel.detach().transpose(0, 1), centres).min().item() > 0.99)
        // The evaluation reads the file as the losses do.
        let report = try PerceptionNetwork.identity.evaluate(weights: path, evaluationCount: 3)
        #expect(report.first?.name.hasPrefix("tar_at_far") == true)
        #expect((0...1).contains(report[0].value))
    }

    @Test func exportedClassifierLoadsWithItsLoader() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let trainer = try AttributeTrainer(Self.attributeConfig())
        _ = try trainer.step(Iteration(index: 0, total: 1))
        let path = root + "/attributes.safetensors"
        try trainer.exportWeights(to: path)
        let loaded = try ResNet18Classifier.load(from: path)
        #expect(loaded.outputNames == TestbedAttribute.allCases.map(\.rawValue))
        #expect(loaded.width == 4 && loaded.inputSize == 64)
        let images = try TestbedRenderer(size: 64).render(split: .test, indices: 0..<4).images
        trainer.network.eval()
        let want = try withNoGrad { try trainer.network(images) }
        #expect(try (loaded(images) - want).abs().max().item() < 2e-2)
        let report = try PerceptionNetwork.attributes.evaluate(weights: path, evaluationCount: 8)
        #expect(report[0].name == "binary_accuracy" && (0...1).contains(report[0].value))
    }

    /// Half of each batch at half resolution, as 64-pixel generators reach a classifier trained on 128-pixel renders;
    /// a new run can start from a saved classifier of its width and no other.
    @Test func attributeTrainerShowsHalfResolutionAndStartsFromSavedWeights() throws {
        var config = Self.attributeConfig()
        config.halfResolutionShare = 0.5
        let trainer = try AttributeTrainer(config)
        let images = try TestbedRenderer(size: 64).render(split: .train, indices: 0..<4).images
        let shown = try trainer.halfResolution(images)
        #expect(try (shown.slice(0, 2, 4) - images.slice(0, 2, 4)).abs().max().item() == 0)
        let low = try F.interpolate(images.slice(0, 0, 2), size: (32, 32), mode: .bilinear, alignCorners: false,
                                    antialias: true)
        let back = try F.interpolate(low, size: (64, 64), mode: .bilinear, alignCorners: false)
        #expect(try (shown.slice(0, 0, 2) - back).abs().max().item() < 1e-6)
        #expect(try (shown.slice(0, 0, 2) - images.slice(0, 0, 2)).abs().max().item() > 0.01)

        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = try trainer.step(Iteration(index: 0, total: 1))
        let path = root + "/attributes.safetensors"
        try trainer.exportWeights(to: path)
        let resumed = try AttributeTrainer(config, initialWeights: path)
        trainer.network.eval()
        resumed.network.eval()
        let want = try withNoGrad { try trainer.network(images) }, got = try withNoGrad { try resumed.network(images) }
        #expect(try (got - want).abs().max().item() < 2e-2)
        var wider = config
        wider.width = 8
        #expect(throws: PerceptionTrainingError.self) { _ = try AttributeTrainer(wider, initialWeights: path) }
        config.halfResolutionShare = 1.5
        #expect(throws: PerceptionTrainingError.self) { _ = try AttributeTrainer(config) }
    }

    @Test func badSettingsAreRefused() throws {
        var identity = Self.identityConfig()
        identity.renderSize = 100
        #expect(throws: PerceptionTrainingError.self) { _ = try IdentityTrainer(identity) }
        var attributes = Self.attributeConfig()
        attributes.batch = 1
        #expect(throws: PerceptionTrainingError.self) { _ = try AttributeTrainer(attributes) }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID()).safetensors").path
        #expect(throws: (any Error).self) { _ = try PerceptionNetwork.identity.evaluate(weights: missing) }
    }
}
