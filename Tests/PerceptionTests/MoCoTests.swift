import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing
import Torch

@Suite("MoCo v2 ResNet-50 and MoCoLoss")
struct MoCoTests {
    /// A MoCoLoss whose encoder holds the procedural weights.
    private func proceduralLoss() throws -> MoCoLoss {
        let loss = try MoCoLoss()
        try MoCoInceptionSupport.fillProcedurally(loss.encoder)
        return loss
    }

    @Test func architectureIsTorchvisionResNet50Trunk() throws {
        let net = try MoCoResNet50()
        try MoCoInceptionSupport.expectArchitecture(net, MoCoReferenceLayers.resnet50Trunk)
        #expect(net.parameterCount == 23_508_032)
    }

    /// References made with torchvision 0.28's `resnet50()` on torch 2.13 (CPU, float32): its state dict without
    /// `fc` filled by procedural.py's rule (j over those 265 keys in order), `nn.Sequential(*children[:-1])` in eval
    /// mode as pSp's MocoLoss builds it, input `procedural_input([2, 3, 256, 256])` through
    /// `F.interpolate(x, size=224)`. Listed per image: features 0, 1, 2, 3, 1000, 2047, the norm, and the dot
    /// product with `procedural_input([2048])`; first before `F.normalize`, then after (`extract_feats`).
    @Test func matchesTorchvisionOnProceduralWeights() throws {
        let loss = try proceduralLoss()
        let x = try Procedural.input([2, 3, 256, 256])
        let indices = [0, 1, 2, 3, 1000, 2047]
        let raw: [(values: [Double], norm: Double, probe: Double)] = [
            ([1.63013493e+11, 3.42666019e+11, 4.64094331e+11, 4.88468742e+11, 4.38750806e+11, 6.54123008e+11],
             1.187424764e+13, 3.952102391e+12),
            ([1.66339969e+11, 3.49567877e+11, 4.73484657e+11, 4.98423693e+11, 4.47725044e+11, 6.67046445e+11],
             1.211173834e+13, 4.030993669e+12),
        ]
        let unit: [(values: [Double], norm: Double, probe: Double)] = [
            ([0.0137283215, 0.0288579147, 0.039084103, 0.0411368161, 0.0369497761, 0.0550875328], 1, 0.332829723),
            ([0.0137337809, 0.0288619082, 0.0390930362, 0.0411521196, 0.0369662084, 0.0550743751], 1, 0.3328170925),
        ]
        let (rawOurs, unitOurs) = try withInferenceMode {
            let resized = try F.interpolate(x, size: (224, 224), mode: .nearest)
            return (try loss.encoder(resized), try loss.embedding(x))
        }
        // The procedural network grows activations to ~1e12; compare relative to the largest reference value.
        for (ours, ref) in zip(try MoCoInceptionSupport.summary(rawOurs, indices: indices), raw) {
            let scale = ref.values.map(abs).max()!
            for (a, b) in zip(ours.values, ref.values) { #expect(abs(a - b) <= 1e-5 * scale, "\(a) vs \(b)") }
            #expect(abs(ours.norm - ref.norm) <= 1e-5 * ref.norm)
            #expect(abs(ours.probe - ref.probe) <= 1e-5 * ref.norm)
        }
        for (ours, ref) in zip(try MoCoInceptionSupport.summary(unitOurs, indices: indices), unit) {
            for (a, b) in zip(ours.values, ref.values) { #expect(abs(a - b) <= 1e-6, "\(a) vs \(b)") }
            #expect(abs(ours.norm - 1) <= 1e-6)
            #expect(abs(ours.probe - ref.probe) <= 1e-5)
        }
    }

    @Test func stateDictRoundTrips() throws {
        let source = try MoCoResNet50()
        try MoCoInceptionSupport.fillProcedurally(source)
        let copy = try MoCoResNet50()
        try copy.load(stateDict: source.stateDict())
        let x = try Procedural.input([1, 3, 64, 64])
        let (a, b) = try withInferenceMode { (try source.eval()(x), try copy.eval()(x)) }
        #expect(try maxAbsDifference(a, b) == 0)
    }

    /// MoCo's training checkpoint layout: `module.encoder_q.*` with the v2 projection head, beside the key encoder
    /// and the queue, all of which but the trunk are skipped; read from a file through `load(checkpoint:)`.
    @Test func readsTheMoCoCheckpointLayout() throws {
        let source = try MoCoResNet50()
        try MoCoInceptionSupport.fillProcedurally(source)
        var checkpoint: [String: Tensor] = [:]
        for (name, tensor) in try source.stateDict() { checkpoint[MoCoResNet50.encoderPrefix + name] = tensor }
        let extra: [(String, [Int])] = [
            ("fc.0.weight", [2048, 2048]), ("fc.0.bias", [2048]), ("fc.2.weight", [128, 2048]), ("fc.2.bias", [128]),
        ]
        for (name, shape) in extra { checkpoint[MoCoResNet50.encoderPrefix + name] = try Tensor.ones(shape) }
        checkpoint["module.encoder_k.conv1.weight"] = try Tensor.ones([64, 3, 7, 7])
        checkpoint["module.queue"] = try Tensor.ones([128, 16])

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("moco-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("moco.safetensors").path
        try Safetensors.write(checkpoint, to: path)

        let loss = try MoCoLoss(checkpoint: path)
        for (name, tensor) in try source.stateDict() {
            #expect(try maxAbsDifference(loss.encoder.stateDict().tensor(name), tensor) == 0, "\(name)")
        }
    }

    @Test func missingAndMisshapenKeysAreReported() throws {
        let net = try MoCoResNet50()
        var weights = try net.stateDict()
        weights["layer4.2.bn3.running_var"] = nil
        weights["layer1.0.conv1.weight"] = try Tensor.zeros([64, 64, 3, 3])
        do {
            try net.loadEncoder(weights)
            Issue.record("an incomplete state dict loaded")
        } catch let error as StateDictError {
            #expect(error.missingKeys == ["layer4.2.bn3.running_var"])
            #expect(error.shapeMismatches.map(\.key) == ["layer1.0.conv1.weight"])
        }
    }

    @Test func embeddingsAreUnitVectorsOfAnyInputSize() throws {
        let loss = try proceduralLoss()
        let e = try withInferenceMode { try loss.embedding(Procedural.input([3, 3, 100, 80])) }
        #expect(e.shape == [3, MoCoResNet50.featureDimension])
        #expect(try maxAbsDifference(e.norm(dims: [1]), Tensor.ones([3])) < 1e-5)
    }

    @Test func batchMatchesSingleImages() throws {
        let loss = try proceduralLoss()
        let x = try Procedural.input([3, 3, 96, 96])
        try withInferenceMode {
            let batch = try loss.embedding(x)
            for i in 0..<3 {
                let single = try loss.embedding(x.slice(0, i, i + 1))
                #expect(try maxAbsDifference(single, batch.slice(0, i, i + 1)) < 1e-6)
            }
        }
    }

    /// Nearest-neighbour resizing 448 -> 224 reads pixels (2i, 2j), so an image and its 2x nearest upsampling embed
    /// identically; bilinear resizing would blend neighbours and differ.
    @Test func resizeIsNearestNeighbour() throws {
        let loss = try proceduralLoss()
        let x = try Procedural.input([1, 3, 224, 224])
        let up = try F.interpolate(x, size: (448, 448), mode: .nearest)
        let (a, b) = try withInferenceMode { (try loss.embedding(x), try loss.embedding(up)) }
        #expect(try maxAbsDifference(a, b) == 0)
    }

    @Test func lossIsOneMinusCosineAndZeroForIdenticalImages() throws {
        let loss = try proceduralLoss()
        let x = try Procedural.input([2, 3, 64, 64])
        let y = try x.flip([3]) * 0.5
        try withInferenceMode {
            #expect(abs(try loss(x, x).item()) < 1e-6)
            let expected = try (1 - (loss.embedding(x) * loss.embedding(y)).sum([1])).mean()
            #expect(abs(try loss(x, y).item() - expected.item()) < 1e-7)
            #expect(try loss(x, y).shape == [])
        }
    }

    @Test func gradientReachesTheOutputButNotTheTarget() throws {
        let loss = try proceduralLoss()
        let yHat = try Procedural.input([2, 3, 64, 64]).requiresGrad(true)
        let y = try (Procedural.input([2, 3, 64, 64]).flip([2]) * 0.5).requiresGrad(true)
        try loss(yHat, y).backward()
        let grad = try #require(try yHat.grad)
        #expect(grad.shape == yHat.shape)
        #expect(try grad.isfinite().all().item() == 1)
        #expect(try grad.abs().max().item() > 0)
        #expect(try y.grad == nil)
        #expect(try loss.encoder.conv1.weight.grad == nil)
    }

    @Test func bfloat16IsCloseToFloat32() throws {
        let loss = try proceduralLoss()
        let x = try Procedural.input([2, 3, 64, 64])
        let reference = try withInferenceMode { try loss.embedding(x) }
        try loss.to(dtype: .bfloat16)
        let low = try withInferenceMode { try loss.embedding(x.to(dtype: .bfloat16)) }
        #expect(low.dtype == .bfloat16)
        #expect(try maxAbsDifference(low, reference) < 2e-3)
    }

    @Test func rejectsMismatchedInputs() throws {
        let loss = try MoCoLoss()
        #expect(throws: TorchError.self) { try loss.embedding(Tensor.zeros([1, 3, 32, 32], dtype: .float64)) }
        #expect(throws: TorchError.self) { try loss.embedding(Tensor.zeros([1, 1, 32, 32])) }
        #expect(throws: TorchError.self) { try loss(Tensor.zeros([2, 3, 32, 32]), Tensor.zeros([1, 3, 32, 32])) }
    }

    @Test func staysFrozenInEvaluationMode() throws {
        let loss = try MoCoLoss()
        loss.train()
        #expect(loss.modules().allSatisfy { !$0.isTraining })
        #expect(loss.parameters().allSatisfy { !$0.requiresGrad })
    }
}
