import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing
import Torch

@Suite("FID InceptionV3")
struct InceptionTests {
    private func proceduralNetwork() throws -> FIDInceptionV3 {
        let net = try FIDInceptionV3()
        try MoCoInceptionSupport.fillProcedurally(net)
        return net
    }

    @Test func architectureIsPytorchFIDInception() throws {
        let net = try FIDInceptionV3()
        try MoCoInceptionSupport.expectArchitecture(net, InceptionReferenceLayers.fidInceptionV3)
        #expect(net.parameterCount == 21_785_568)
        #expect(net.Mixed_7b.pool == .average && net.Mixed_7c.pool == .max)
    }

    /// References made with pytorch-fid 0.3.0's `InceptionV3([3])` (resize_input and normalize_input on) over
    /// torchvision 0.28 on torch 2.13 (CPU, float32): `fid_inception_v3()`'s model with its state dict without `fc`
    /// filled by procedural.py's rule (j over those 470 keys in order), fed `(procedural_input([2, 3, 64, 64]) + 1) / 2`.
    /// Listed per image: features 0, 1, 2, 3, 1000, 2047, the norm, and the dot product with
    /// `procedural_input([2048])`.
    @Test func matchesPytorchFIDOnProceduralWeights() throws {
        let net = try proceduralNetwork()
        let reference: [(values: [Double], norm: Double, probe: Double)] = [
            ([24492.5039, 6260.6377, 201.372711, 159.067474, 0, 441.630798], 456130.1272, 423946.1141),
            ([22078.5215, 5536.3623, 106.963089, 6.30651474, 0, 434.339905], 409826.0516, 381463.8485),
        ]
        let features = try net.features(Procedural.input([2, 3, 64, 64]))
        #expect(features.shape == [2, FIDInceptionV3.featureDimension])
        let ours = try MoCoInceptionSupport.summary(features, indices: [0, 1, 2, 3, 1000, 2047])
        for (a, ref) in zip(ours, reference) {
            let scale = ref.values.map(abs).max()!
            for (x, y) in zip(a.values, ref.values) { #expect(abs(x - y) <= 1e-5 * scale, "\(x) vs \(y)") }
            #expect(abs(a.norm - ref.norm) <= 1e-5 * ref.norm)
            #expect(abs(a.probe - ref.probe) <= 1e-5 * ref.norm)
        }
    }

    /// Every input is resized to 299x299 first, so an image and its own bilinear resize to 299 give the same features
    /// whether the image is smaller or larger; a 299x299 input goes through unchanged.
    @Test func featuresDependOnInputSizeOnlyThroughTheResize() throws {
        let net = try proceduralNetwork()
        for side in [64, 512] {
            let x = try Procedural.input([1, 3, side, side])
            let resized = try F.interpolate(x, size: (299, 299), mode: .bilinear, alignCorners: false)
            let a = try net.features(x)
            let b = try net.features(resized)
            let direct = try withInferenceMode { try net(resized) }
            let scale = max(1, try b.abs().max().item())
            #expect(try maxAbsDifference(a, b) <= 1e-5 * scale, "side \(side)")
            #expect(try maxAbsDifference(b, direct) <= 1e-5 * scale, "side \(side)")
        }
    }

    @Test func batchesMatchSingleImages() throws {
        let net = try proceduralNetwork()
        let x = try Procedural.input([3, 3, 64, 64])
        let batch = try net.features(x)
        let chunked = try net.features(x, batchSize: 2)
        let scale = max(1, try batch.abs().max().item())
        #expect(try maxAbsDifference(batch, chunked) <= 1e-5 * scale)
        for i in 0..<3 {
            let single = try net.features(x.slice(0, i, i + 1))
            #expect(try maxAbsDifference(single, batch.slice(0, i, i + 1)) <= 1e-5 * scale, "image \(i)")
        }
    }

    @Test func bfloat16IsCloseToFloat32() throws {
        let net = try proceduralNetwork()
        let x = try Procedural.input([1, 3, 64, 64])
        let reference = try net.features(x)
        try net.to(dtype: .bfloat16)
        let low = try net.features(x.to(dtype: .bfloat16))
        #expect(low.dtype == .bfloat16)
        // The procedural network amplifies rounding: in PyTorch its bfloat16 features differ from float32 by 25% in
        // norm, with cosine similarity 0.9992. Only the direction is compared.
        let cosine = try F.cosineSimilarity(low.to(dtype: .float32), reference).item()
        #expect(cosine > 0.99, "cosine similarity \(cosine)")
    }

    /// The FID weights file is a plain state dict with the 1008-class `fc` (ignored) and, written by an old PyTorch,
    /// no `num_batches_tracked`; read from a file through `init(weights:)`.
    @Test func readsTheWeightsFileLayout() throws {
        let source = try proceduralNetwork()
        var weights: [String: Tensor] = [:]
        for (name, tensor) in try source.stateDict() where !name.hasSuffix("num_batches_tracked") {
            weights[name] = tensor
        }
        weights["fc.weight"] = try Tensor.ones([1008, 2048])
        weights["fc.bias"] = try Tensor.ones([1008])

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fid-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("pt_inception.safetensors").path
        try Safetensors.write(weights, to: path)

        let net = try FIDInceptionV3(weights: path)
        let x = try Procedural.input([1, 3, 80, 80])
        #expect(try maxAbsDifference(net.features(x), source.features(x)) == 0)
    }

    @Test func missingKeysAreReported() throws {
        let net = try FIDInceptionV3()
        var weights = try net.stateDict()
        weights["Mixed_7c.branch_pool.conv.weight"] = nil
        do {
            try net.loadWeights(weights)
            Issue.record("an incomplete state dict loaded")
        } catch let error as StateDictError {
            #expect(error.missingKeys == ["Mixed_7c.branch_pool.conv.weight"])
        }
    }

    @Test func rejectsUnusableInputs() throws {
        let net = try FIDInceptionV3()
        #expect(throws: TorchError.self) { try net.features(Tensor.zeros([1, 3, 32, 32], dtype: .float64)) }
        #expect(throws: TorchError.self) { try net.features(Tensor.zeros([0, 3, 32, 32])) }
        #expect(throws: TorchError.self) { try net.features(Tensor.zeros([1, 4, 32, 32])) }
        #expect(throws: TorchError.self) { try net(Tensor.zeros([1, 3, 74, 299])) }
    }

    @Test func staysFrozenInEvaluationMode() throws {
        let net = try FIDInceptionV3()
        net.train()
        #expect(net.modules().allSatisfy { !$0.isTraining })
        #expect(net.parameters().allSatisfy { !$0.requiresGrad })
    }
}
