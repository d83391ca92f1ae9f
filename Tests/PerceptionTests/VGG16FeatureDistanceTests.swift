import Checkpoints
import Foundation
import TestSupport
import Testing
import Torch
@testable import Perception

/// The projector's VGG16 feature distance against a narrow re-creation of NVIDIA's `vgg16.pt`.
///
/// Resources/vgg16-narrow.pt is a `torch.jit.save` archive with the module tree and forward of NVIDIA's network
/// (`VGG16` with `layers.conv1...conv13`, `pool1...pool5`, `fc1...fc3`, `softmax`, and `lpips0...lpips4` [C, 1, 1];
/// `forward(img, resize_images, return_lpips, return_features)`), stages 4, 8, 16, 32, 32 channels wide and random
/// weights (its `.debug_pkl` source maps left out). vgg16-narrow-cases.safetensors holds what the projector computes with it: features of images x in
/// [-1, 1] sent as (x + 1) · 255/2, area-pooled to 256x256 when taller, and their summed squared differences;
/// `lpips_small` is LPIPS v0.1's formula on the same weights. vgg16-narrow-torchvision.pth and
/// vgg16-narrow-lpips.pth hold those weights as torchvision's VGG16 file and LPIPS's linear-layer file.
@Suite("VGG16 feature distance")
struct VGG16FeatureDistanceTests {
    static let narrowWidths = [4, 8, 16, 32, 32]
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        cases = try Safetensors.read(Self.resource("vgg16-narrow-cases.safetensors")).tensors.dictionary
    }

    static func resource(_ name: String) -> String {
        Fixtures.packageRoot.appendingPathComponent("Tests/PerceptionTests/Resources/\(name)").path
    }

    func ref(_ key: String) throws -> Tensor {
        guard let t = cases[key] else { throw TorchError("reference case \(key) missing") }
        return t
    }

    func narrowNVIDIA() throws -> VGG16FeatureDistance {
        try .load(nvidia: Self.resource("vgg16-narrow.pt"), vggStageWidths: Self.narrowWidths, dtype: .float32,
                  device: .cpu)
    }

    /// Relative error of a scalar.
    func relative(_ a: Tensor, _ b: Tensor) throws -> Double {
        let (x, y) = (try a.to(dtype: .float64).item() as Double, try b.to(dtype: .float64).item() as Double)
        return abs(x - y) / abs(y)
    }

    @Test func featuresAndDistanceMatchTheArchive() throws {
        let model = try narrowNVIDIA()
        let fx = try model.features(ref("x_small"))
        let fy = try model.features(ref("y_small"))
        try expectClose(fx, try ref("features_x_small"), "features x")
        try expectClose(fy, try ref("features_y_small"), "features y")
        #expect(try model.featureCount(inputShape: [2, 3, 24, 24]) == fx.size(1))
        let d = try model.distance(fx, fy)
        #expect(d.shape == [])
        #expect(try relative(d, ref("distance_small")) <= 1e-4)
    }

    /// Taller than 256: pooled to 256x256 (a 264x280 input included, as the projector squares it).
    @Test func tallImagesArePooledTo256() throws {
        let model = try narrowNVIDIA()
        let shape = [1, 3, 264, 280]
        let x = try Procedural.input(shape) // 0.9 sin(0.05 k + 0.1), as the reference made it
        let y = try x * -0.5
        let fx = try model.features(x)
        #expect(try model.featureCount(inputShape: shape) == 4 * 256 * 256 + 8 * 128 * 128 + 16 * 64 * 64
            + 32 * 32 * 32 + 32 * 16 * 16)
        let every61 = try Tensor.arange(0, Double(fx.size(1)), step: 61, dtype: .int64)
        try expectClose(try fx.indexSelect(1, every61), try ref("features_x_large_every61"), "pooled features")
        #expect(try relative(model.distance(fx, model.features(y)), ref("distance_large")) <= 1e-4)
    }

    /// The distance is LPIPS v0.1 summed over the batch, here and in the reference.
    @Test func distanceIsSummedLPIPS() throws {
        let model = try narrowNVIDIA()
        let (x, y) = (try ref("x_small"), try ref("y_small"))
        let lpips = try model.lpips(x, y)
        try expectClose(lpips, try ref("lpips_small"), tol: 1e-5, "LPIPS on the archive's weights")
        let d = try model.distance(model.features(x), model.features(y))
        #expect(try relative(d, lpips.sum()) <= 1e-5)
        #expect(try relative(ref("distance_small"), ref("lpips_small").sum()) <= 1e-5)
    }

    /// torchvision's VGG16 file with LPIPS's layers is the same network as NVIDIA's archive of those weights.
    @Test func torchvisionFilesGiveTheSameFeatures() throws {
        let model = try VGG16FeatureDistance.load(
            torchvision: Self.resource("vgg16-narrow-torchvision.pth"),
            linearLayers: Self.resource("vgg16-narrow-lpips.pth"), vggStageWidths: Self.narrowWidths,
            dtype: .float32, device: .cpu)
        try expectClose(try model.features(ref("x_small")), try narrowNVIDIA().features(ref("x_small")), tol: 0,
                        "torchvision vs NVIDIA layout")
        try expectClose(try model.features(ref("x_small")), try ref("features_x_small"), "features x")
    }

    @Test func gradientsReachTheImages() throws {
        let model = try narrowNVIDIA()
        let target = try model.features(ref("y_small"))
        let x = try ref("x_small").detach().requiresGrad(true)
        let grad = try #require(try gradients(of: model.distance(model.features(x), target), wrt: [x])[0])
        #expect(try grad.abs().sum().item() > 0)
        #expect(model.parameters().allSatisfy { !$0.requiresGrad })
    }

    // MARK: the published sizes

    @Test func parametersFlopsAndFeaturesAt256() throws {
        let model = try VGG16FeatureDistance()
        let widths = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                      (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
        #expect(model.parameterCount == widths.reduce(0) { $0 + $1.1 * $1.0 * 9 + $1.1 } + 64 + 128 + 256 + 512 + 512)
        #expect(model.parameterCount == 14_716_160)
        // Each 3x3 convolution at side s: 2 · s² · out · in · 9; stages at 256, 128, 64, 32, 16.
        let sides = [256, 256, 128, 128, 64, 64, 64, 32, 32, 32, 16, 16, 16]
        let flops = zip(widths, sides).reduce(0) { $0 + 2 * $1.1 * $1.1 * $1.0.1 * $1.0.0 * 9 }
        #expect(try model.flops(inputShape: [1, 3, 256, 256]) == flops)
        #expect(try model.flops(inputShape: [1, 3, 1024, 1024]) == flops, "pooled to 256 first")
        #expect(try model.featureCount(inputShape: [1, 3, 1024, 1024]) == 7_995_392)
        #expect(try model.featureCount(inputShape: [1, 3, 32, 32]) == 124_928)
    }

    // MARK: bad input

    @Test func rejectsBadImages() throws {
        let model = try narrowNVIDIA()
        #expect(throws: TorchError.self) { try model.features(Tensor.zeros([1, 1, 32, 32])) }
        #expect(throws: TorchError.self) { try model.features(Tensor.zeros([1, 3, 15, 15])) }
        #expect(throws: TorchError.self) { try model.features(Tensor.zeros([1, 3, 32, 32], dtype: .float64)) }
        let f = try model.features(ref("x_small"))
        #expect(throws: TorchError.self) { try model.distance(f, f.narrow(1, start: 0, length: 10)) }
        #expect(throws: TorchError.self) { try model.distance(ref("x_small"), ref("y_small")) }
    }

    /// A standard VGG16 cannot take the narrow archive: every key is listed, with both shapes.
    @Test func misShapedArchiveListsEveryKey() throws {
        let error = #expect(throws: TorchError.self) {
            try VGG16FeatureDistance.load(nvidia: Self.resource("vgg16-narrow.pt"))
        }
        let message = "\(error!)"
        #expect(message.contains("vgg16-narrow.pt"))
        #expect(message.contains("layers.conv1.weight [4, 3, 3, 3] (expected [64, 3, 3, 3])"))
        #expect(message.contains("layers.conv13.bias [32] (expected [512])"))
        #expect(message.contains("lpips4 [32, 1, 1] (expected [512, 1, 1])"))
        #expect(!message.contains("missing") && !message.contains("unexpected"))
    }

    @Test func missingAndUnexpectedTensorsAreListed() throws {
        let tensors = try TorchScript.load(Self.resource("vgg16-narrow.pt")).torchScriptTensors()
        #expect(tensors.names.contains("layers.fc1.weight"), "the classifier is in the archive and ignored")
        var edited = StateDict(tensors.filter { $0.name != "layers.conv7.bias" && $0.name != "lpips2" }
            .map { ($0.name, $0.tensor) })
        edited["layers.conv14.weight"] = try Tensor.zeros([3])
        let model = try VGG16FeatureDistance(vggStageWidths: Self.narrowWidths)
        let before = try (model.lpips.net as! LPIPSBackbone).features[0].stateDict().tensor("weight").clone()
        let error = #expect(throws: TorchError.self) { try model.loadNVIDIA(edited, source: "edited.pt") }
        let message = "\(error!)"
        #expect(message.contains("missing layers.conv7.bias, lpips2"))
        #expect(message.contains("unexpected layers.conv14.weight"))
        try expectClose(try (model.lpips.net as! LPIPSBackbone).features[0].stateDict().tensor("weight"), before, tol: 0,
                        "nothing copied")
    }

    @Test func negativeChannelWeightsAreRefused() throws {
        var tensors = try TorchScript.load(Self.resource("vgg16-narrow.pt")).torchScriptTensors()
        tensors["lpips1"] = try tensors.tensor("lpips1") - 1
        let model = try VGG16FeatureDistance(vggStageWidths: Self.narrowWidths)
        let error = #expect(throws: TorchError.self) { try model.loadNVIDIA(tensors, source: "negative.pt") }
        #expect("\(error!)".contains("negative.pt: LPIPS channel weights 1 have negative entries"))
    }

    @Test func truncatedArchiveNamesTheFile() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.resource("vgg16-narrow.pt")))
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("vgg16-truncated-\(UUID().uuidString).pt").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: CheckpointError.self) {
            try VGG16FeatureDistance.load(nvidia: path, vggStageWidths: Self.narrowWidths, dtype: .float32,
                                          device: .cpu)
        }
        #expect(error?.file == path)
    }

    @Test func aTorchSaveFileIsNotAnArchive() throws {
        let error = #expect(throws: CheckpointError.self) {
            try VGG16FeatureDistance.load(nvidia: Self.resource("vgg16-narrow-lpips.pth"))
        }
        #expect("\(error!)".contains("not a TorchScript module"))
    }
}
