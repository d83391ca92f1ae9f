import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing
import Torch

/// iresnet50 against `perception/iresnet50`: arcface_torch's IResNet, layers [3, 4, 14, 3], eval, procedural weights.
@Suite("IResNet50 (ArcFace iresnet50)")
struct IResNetTests {
    let fixture: ProceduralFixture<IResNet50>
    var net: IResNet50 { fixture.net }

    init() throws { fixture = try ProceduralFixture("perception/iresnet50") { try IResNet50() } }

    func ref(_ key: String) throws -> Tensor { try fixture.ref(key) }

    @Test func keysAndParameterCountAreTheOfficialFiles() throws {
        try fixture.expectOfficialKeys(parameterCount: IResNet50.officialParameterCount)
    }

    @Test func layerOutputsAndEmbedding() throws {
        let features = try net.multiLayerFeatures(ref("input"))
        try expectClose(features.layer1, try ref("layer1"), "layer1")
        try expectClose(features.layer2, try ref("layer2"), "layer2")
        try expectClose(features.layer3, try ref("layer3"), "layer3")
        try expectClose(features.layer4, try ref("layer4"), "layer4")
        try expectClose(features.embedding, try ref("embedding"), "embedding")
        try expectClose(try net(ref("input")), try ref("embedding"), "embedding (callAsFunction)")
        #expect(try features.flattened().map(\.shape) == [[1, 64 * 56 * 56], [1, 128 * 28 * 28], [1, 256 * 14 * 14],
                                                           [1, 512 * 7 * 7], [1, 512]])
    }

    @Test func idLossInputIsANearestResizeTo112() throws {
        // Nearest from 224 to 112 keeps every other pixel, starting at the first.
        let image = try Procedural.input([1, 3, 224, 224])
        let resized = try IResNet50.idLossInput(image)
        try expectClose(resized, try image.slice(2, 0, 224, step: 2).slice(3, 0, 224, step: 2), tol: 0, "nearest")
    }

    @Test func bfloat16StaysClose() throws {
        try net.to(dtype: .bfloat16)
        let embedding = try net(ref("input").to(dtype: .bfloat16))
        #expect(embedding.dtype == .bfloat16)
        let cosine = try F.cosineSimilarity(embedding.to(dtype: .float32), ref("embedding")).min().item()
        #expect(cosine > 0.99, "bf16 vs f32 embedding cosine \(cosine)")
    }

    @Test func gradientsReachTheImageNotTheWeights() throws {
        let x = try ref("input").clone().requiresGrad(true)
        try net(x).sum().backward()
        let grad = try #require(try x.grad)
        #expect(try grad.isfinite().all().item() == 1)
        #expect(try grad.abs().max().item() > 0)
        #expect(try net.parameters().allSatisfy { try $0.grad == nil })
    }

    @Test func wrongShapesAreRejectedAtTheBoundary() throws {
        let message = thrownMessage { _ = try net(Tensor.zeros([1, 3, 128, 128])) }
        #expect(message?.contains("expected input [N, 3, 112, 112]") == true)
        #expect(thrownMessage { _ = try IResNet50.idLossInput(Tensor.zeros([3, 112, 112])) } != nil)
    }

    @Test func loadingAFileOfOtherKeysNamesTheFileAndTheKeys() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iresnet-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(["conv1.weight": Tensor.zeros([64, 3, 7, 7])], to: path)
        let message = try #require(thrownMessage { _ = try IResNet50.load(from: path) })
        #expect(message.hasPrefix(path))
        #expect(message.contains("iresnet50"))
        #expect(message.contains("size mismatch for conv1.weight"))
        #expect(message.contains("\"features.running_var\""))
    }
}

private func thrownMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}
