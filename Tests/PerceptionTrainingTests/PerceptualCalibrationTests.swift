import Checkpoints
import Foundation
import Perception
@testable import PerceptionTraining
import Testbed
import Testing
import Torch
import Training

/// The testbed's LPIPS: its ground-truth triplets, the ResNet-18 trunk, the calibration run and its file.
@Suite("Testbed LPIPS calibration", .serialized)
struct PerceptualCalibrationTests {
    static func classifier(inputSize: Int? = 32) throws -> ResNet18Classifier {
        let network = try ResNet18Classifier(width: 4, outputNames: ["a", "b"], inputSize: inputSize)
        try SeededInit.apply(to: network, seed: 5)
        return network
    }

    static func config() -> PerceptualCalibrationConfig {
        PerceptualCalibrationConfig(renderSize: 64, batch: 4, trainSamples: 200, learningRate: 1e-2, warmup: 0, seed: 2,
                                    evaluationTriplets: 6)
    }

    @Test func tripletsAreDeterministicUntiedAndJudgedByTheirFactorDistances() {
        let scales = FactorScales(count: 300)
        let a = PerceptualTriplets(split: .train, samples: 500, seed: 1, scales: scales)
        let b = PerceptualTriplets(split: .train, samples: 500, seed: 1, scales: scales)
        let other = PerceptualTriplets(split: .train, samples: 500, seed: 2, scales: scales)
        var differs = false
        for k in 0..<20 {
            let t = a.triplet(k), u = b.triplet(k)
            #expect(t.reference == u.reference && t.distorted.0 == u.distorted.0 && t.distorted.1 == u.distorted.1)
            #expect(t.distances == (scales.distance(t.reference, t.distorted.0), scales.distance(t.reference, t.distorted.1)))
            let mean = (t.distances.0 + t.distances.1) / 2
            #expect(abs(t.distances.0 - t.distances.1) >= 0.1 * mean)
            #expect(t.judge == (t.distances.1 < t.distances.0 ? 1 : 0))
            // Only the perturbed factors move: the identity id and the seeds stay the reference's.
            #expect(t.distorted.0.identityID == t.reference.identityID)
            #expect(t.distorted.1.variation.textureSeed == t.reference.variation.textureSeed)
            if other.triplet(k).reference != t.reference { differs = true }
        }
        #expect(differs)
    }

    @Test func factorDistanceIsZeroOnItselfSymmetricAndGrowsWithTheMove() {
        let scales = FactorScales(count: 300)
        let face = TestbedSplit.train.sample(at: 3).face, other = TestbedSplit.train.sample(at: 900).face
        #expect(scales.distance(face, face) == 0)
        #expect(abs(scales.distance(face, other) - scales.distance(other, face)) < 1e-9)
        let near = face.moved(.pose, towards: other, amount: 0.2), far = face.moved(.pose, towards: other, amount: 0.9)
        #expect(scales.distance(face, near) > 0 && scales.distance(face, near) < scales.distance(face, far))
        #expect(far.variation.smile == face.variation.smile && far.identity == face.identity)
        #expect(abs(face.moved(.pose, towards: other, amount: 1).variation.yaw - other.variation.yaw) < 1e-6)
    }

    @Test func resNetTrunkTapsMatchTheirShapesAndTheInputIsResized() throws {
        let network = try Self.classifier()
        network.eval()
        let x = try Tensor.rand([2, 3, 64, 64]) * 2 - 1
        let taps = try withNoGrad { try network.taps(x) }
        #expect(taps.map(\.shape) == (try network.tapShapes(inputShape: x.shape)))
        #expect(taps.map { $0.size(1) } == network.tapChannels)
        #expect(taps[0].shape == [2, 4, 16, 16])
        #expect(try network.flops(inputShape: x.shape) == network.flops(inputShape: [2, 3, 32, 32]))
        // A 64-pixel input scores as its 32-pixel resize.
        let resized = try F.interpolate(x, size: (32, 32), mode: .bilinear, alignCorners: false, antialias: true)
        let direct = try withNoGrad { try network(x) }, manual = try withNoGrad { try network(resized) }
        #expect(try (direct - manual).abs().max().item() < 1e-5)
    }

    @Test func testbedLPIPSIsZeroOnEqualImagesAndLoadsItsLayers() throws {
        let lpips = try LPIPS(testbed: Self.classifier())
        #expect(lpips.network == .testbed)
        #expect(try lpips.lins.allSatisfy { try $0.conv.weight.min().item() == 1 })
        let x = try Tensor.rand([2, 3, 64, 64]) * 2 - 1, y = try Tensor.rand([2, 3, 64, 64]) * 2 - 1
        #expect(try lpips(x, x).abs().max().item() < 1e-6)
        let d = try lpips(x, y)
        #expect(try d.min().item() > 0)
        // Gradients reach the images (the distance serves as a loss).
        let z = try x.detach().requiresGrad(true)
        try lpips(z, y).sum().backward()
        let grad = try #require(try z.grad)
        #expect(try grad.abs().sum().item() > 0)
        #expect(throws: (any Error).self) { _ = try LPIPS(network: .testbed) }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID()).safetensors").path
        #expect { _ = try LPIPS(testbed: Self.classifier(), linearLayers: missing) } throws: { "\($0)".contains(missing) }
    }

    @Test func calibrationLearnsKeepsWeightsNonNegativeAndExports() throws {
        let root = try TrainerTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let trainer = try PerceptualCalibrator(Self.config(), classifier: Self.classifier())
        for index in 0..<6 {
            let losses = try trainer.step(Iteration(index: index, total: 6)).scalars
            #expect(losses[0].value.isFinite)
        }
        #expect(try trainer.lpips.lins.allSatisfy { try $0.conv.weight.min().item() >= 0 })
        #expect(try trainer.lpips.lins.contains { try $0.conv.weight.max().item() != 1 })
        let path = root + "/lpips.safetensors"
        try trainer.exportWeights(to: path)
        let loaded = try LPIPS(testbed: Self.classifier(), linearLayers: path)
        let x = try Tensor.rand([2, 3, 64, 64]) * 2 - 1, y = try Tensor.rand([2, 3, 64, 64]) * 2 - 1
        let want = try trainer.lpips(x, y)
        #expect(try (loaded(x, y) - want).abs().max().item() < 1e-6)
        let report = try trainer.testReport()
        #expect(report.map(\.name) == ["two_afc", "two_afc_uncalibrated", "two_afc_l2"])
        #expect(report.allSatisfy { (0...1).contains($0.value) })
    }

    @Test func resumedCalibrationEqualsTheUninterruptedOne() throws {
        let root = try TrainerTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try TrainerTests.train(PerceptualCalibrator(Self.config(), classifier: Self.classifier()), in: root + "/whole",
                               iterations: 4)
        try TrainerTests.interruptedThenResumed({ try PerceptualCalibrator(Self.config(), classifier: Self.classifier()) },
                                                in: root + "/split", iterations: 4, failAt: 2)
        let a = try TorchCheckpoint.load(root + "/whole/checkpoint/000004.pt")
        let b = try TorchCheckpoint.load(root + "/split/checkpoint/000004.pt")
        for key in ["lin0", "lin4", "rank"] {
            let left = try a[key].stateDict().dictionary, right = try b[key].stateDict().dictionary
            #expect(!left.isEmpty && left.count == right.count)
            for (name, tensor) in left {
                let other = try #require(right[name])
                #expect(try (tensor - other).abs().max().item() == 0, "\(key).\(name)")
            }
        }
    }
}
