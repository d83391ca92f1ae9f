import Foundation
import Perception
import PerceptionTraining
import Testbed
import Testing
import Torch
import Training

@Suite("Trained parser weights", .serialized)
struct ParsingWeightsTests {
    /// One trained step, so the weights (and batch-norm statistics) differ from a fresh network's.
    func trained(_ network: ParserTrainingConfig.Network) throws -> ParserTrainer {
        let trainer = try ParserTrainer(config: tinyParserConfig(network))
        _ = try trainer.step(Iteration(index: 0, total: 10))
        return trainer
    }

    func images() throws -> Tensor { try TestbedRenderer(size: 64).render(split: .test, indices: 0..<2).images }

    @Test("exported BiSeNet weights load with BiSeNet.load (widths read from the file) and give the same logits")
    func bisenetRoundTrip() throws {
        let folder = try temporaryFolder("bisenet")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try trained(.bisenet)
        guard case .bisenet(let net) = trainer.parser else { Issue.record("not a BiSeNet"); return }
        net.eval()
        let x = try BiSeNet.lossInput(images(), size: 64)
        let expected = try withNoGrad { try net(x).out }
        let config = trainer.config.bisenet
        for (name, half, tolerance) in [("full.safetensors", false, 1e-5), ("half.safetensors", true, 0.05)] {
            try trainer.exportWeights(to: folder + "/" + name, halfPrecision: half)
            let loaded = try BiSeNet.load(from: folder + "/" + name)  // widths read from the file
            #expect(loaded.config == config)
            let got = try withNoGrad { try loaded(x).out }
            #expect(try (got - expected).abs().max().item() < tolerance * max(1, try expected.abs().max().item()))
        }
        // The training checkpoint itself (weights under state_dict) loads too.
        try trainer.saveState(to: folder + "/000001.pt", iteration: 1)
        let fromCheckpoint = try BiSeNet.load(from: folder + "/000001.pt")
        #expect(try (withNoGrad { try fromCheckpoint(x).out } - expected).abs().max().item() < 1e-5)
        // Imposed widths that do not fit these weights: refused, naming the file.
        let error = #expect(throws: (any Error).self) {
            try BiSeNet.load(from: folder + "/full.safetensors", config: .official)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("full.safetensors"))
    }

    @Test("exported U-Net weights load with UNetFaceParser.load (widths read from the file) and give the same logits")
    func unetRoundTrip() throws {
        let folder = try temporaryFolder("unet")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try trained(.unet)
        guard case .unet(let net) = trainer.parser else { Issue.record("not a U-Net"); return }
        net.eval()
        let x = try images()
        let expected = try withNoGrad { try net.logits(x) }
        for (name, half, tolerance) in [("full.safetensors", false, 1e-5), ("half.safetensors", true, 0.05)] {
            try trainer.exportWeights(to: folder + "/" + name, halfPrecision: half)
            let loaded = try UNetFaceParser.load(from: folder + "/" + name)  // widths read from the file
            #expect(loaded.config == trainer.config.unet)
            let got = try withNoGrad { try loaded.logits(x) }
            #expect(try (got - expected).abs().max().item() < tolerance * max(1, try expected.abs().max().item()))
            let model = try FaceParserModel(network: .unet, weights: folder + "/" + name)
            #expect(try model.labels(x).shape == [2, 64, 64])
            // Training can start again from exported weights.
            let again = try ParserTrainer(config: trainer.config, initialWeights: folder + "/" + name)
            again.parser.module.eval()
            let restarted = try withNoGrad { try again.parser.headLogits(x)[0] }
            #expect(try (restarted - expected).abs().max().item() < tolerance * max(1, try expected.abs().max().item()))
        }
    }

    /// E2Style's multi-layer parsing loss and GANI's L_FP: Σ over the U-Net's five contracting-path features of
    /// (1 − cos); zero for an image against itself, positive against another render. BiSeNet's three outputs
    /// (the Feature-Style encoder's parsing features) likewise.
    @Test("the feature losses run with trained weights")
    func featureLossesRun() throws {
        let x = try images()
        let a = try x.narrow(0, start: 0, length: 1), b = try x.narrow(0, start: 1, length: 1)
        func distance(_ f: [Tensor], _ g: [Tensor]) throws -> Double {
            try zip(f, g).map { try (1 - F.cosineSimilarity($0, $1, dim: 1, eps: 1e-8)).sum().item() }.reduce(0, +)
        }
        guard case .unet(let unet) = try trained(.unet).parser else { Issue.record("not a U-Net"); return }
        unet.eval()
        let features = try unet(a)
        #expect(features.count == 5)
        #expect(try distance(features, unet(a)) < 1e-5)
        #expect(try distance(features, unet(b)) > 1e-4)
        guard case .bisenet(let bisenet) = try trained(.bisenet).parser else { Issue.record("not a BiSeNet"); return }
        bisenet.eval()
        let outputs = try bisenet(BiSeNet.lossInput(a, size: 64)).flattened()
        #expect(outputs.count == 3)
        #expect(try distance(outputs, bisenet(BiSeNet.lossInput(b, size: 64)).flattened()) > 1e-4)
    }
}

@Suite("Shipped testbed parsers")
struct ShippedParserTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Models/testbed").standardized.path

    /// The committed weights load with the official loaders (widths from the file) and parse unseen test renders
    /// near their documented accuracy (0.89 over 512 renders; docs/testbed.md); 16 renders here.
    @Test("the shipped BiSeNet and U-Net load and parse test renders", arguments: ParserTrainingConfig.Network.allCases)
    func shippedParsers(_ network: ParserTrainingConfig.Network) throws {
        let model = try FaceParserModel(network: network, weights: Self.folder + "/\(network.rawValue).safetensors")
        // At the render size they were trained at (U-Net 256, BiSeNet 512).
        let size = try #require(PerceptionNetwork(rawValue: network.rawValue)).renderSize
        let scores = try ParserEvaluation.evaluate(model, split: .test, count: 16, size: size, batch: 16)
        #expect(scores.meanIoU > 0.8, "\(scores.table())")
        #expect((scores.iou(FaceClass.skin.rawValue) ?? 0) > 0.95)
        #expect((scores.iou(FaceClass.hair.rawValue) ?? 0) > 0.95)
    }

    @Test("GANI's L_FP with the shipped U-Net: zero for a render against itself, larger for another identity")
    func shippedFeatureLoss() throws {
        let unet = try UNetFaceParser.load(from: Self.folder + "/unet.safetensors")
        let renders = try TestbedRenderer(size: 128).render([TestbedSplit.test.sample(at: 0),
                                                             TestbedSplit.test.sample(at: 1),
                                                             TestbedSplit.test.sample(at: 40)])
        func lfp(_ i: Int, _ j: Int) throws -> Double {
            let f = try unet(renders.images.narrow(0, start: i, length: 1))
            let g = try unet(renders.images.narrow(0, start: j, length: 1))
            return try zip(f, g).map { try (1 - F.cosineSimilarity($0, $1, dim: 1, eps: 1e-8)).sum().item() }
                .reduce(0, +)
        }
        #expect(try lfp(0, 0) < 1e-5)
        #expect(try lfp(0, 2) > 1e-3)
    }
}

@Suite("Shipped testbed identity, attribute and LPIPS weights")
struct ShippedPerceptionTests {
    static let folder = ShippedParserTests.folder

    /// The identity network separates unseen identities: a render is closer to another render of its identity
    /// than to most other identities' renders.
    @Test func identityNetworkSeparatesTestIdentities() throws {
        let network = try IRSE50.load(from: Self.folder + "/identity.safetensors")
        #expect(network.configuration == .testbed)
        let samples = (0..<8).flatMap { id in (0..<4).map { TestbedSplit.test.sample(at: id * 16 + $0) } }
        let e = try network.idLossEmbedding(TestbedRenderer(size: 64).render(samples).images)
        let similarity = try e.matmul(e.transpose(0, 1)).to(dtype: .float64)
        var sameValues: [Double] = [], otherValues: [Double] = []
        for i in 0..<32 {
            for j in 0..<32 {
                sameValues.append(i / 4 == j / 4 && i != j ? 1 : 0)
                otherValues.append(i / 4 != j / 4 ? 1 : 0)
            }
        }
        let same = try Tensor(sameValues, shape: [32, 32]), other = try Tensor(otherValues, shape: [32, 32])
        let genuine = try ((similarity * same).sum() / same.sum()).item()
        let impostor = try ((similarity * other).sum() / other.sum()).item()
        #expect(genuine > impostor + 0.3, "genuine \(genuine), impostor \(impostor)")
    }

    /// The classifier reads its input size from the file and scores test renders at 128 and at 64 pixels.
    @Test func attributeClassifierScoresBothSizes() throws {
        let network = try ResNet18Classifier.load(from: Self.folder + "/attributes.safetensors")
        #expect(network.inputSize == 128 && network.width == 16)
        for size in [128, 64] {
            let scores = try AttributeScores(network: network, renderer: TestbedRenderer(size: size), samples: 64)
            #expect(scores.meanAccuracy > 0.9, "\(size) px: \(scores.accuracy)")
        }
    }

    /// The testbed LPIPS loads from the two shipped files and agrees with the renderer's judge on test triplets
    /// more often than the pixels' mean squared error does (docs/testbed.md: 0.779 against 0.728 on 1000).
    @Test func testbedLPIPSLoadsAndRanksTriplets() throws {
        let classifier = try ResNet18Classifier.load(from: Self.folder + "/attributes.safetensors")
        let lpips = try LPIPS(testbed: classifier, linearLayers: Self.folder + "/lpips.safetensors")
        let triplets = PerceptualTriplets(split: .test, samples: TestbedSplit.test.count, seed: 0)
        let renderer = try TestbedRenderer(size: 64)
        let score = try PerceptualCalibrator.twoAlternativeScore({ try lpips($0, $1) }, triplets: triplets, count: 200,
                                                                 renderer: renderer)
        let pixels = try PerceptualCalibrator.twoAlternativeScore({ try ($0 - $1).square().mean([1, 2, 3]) },
                                                                  triplets: triplets, count: 200, renderer: renderer)
        #expect(score > 0.7 && score > pixels + 0.02, "2AFC \(score), pixel MSE \(pixels)")
    }
}
