import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing
import Torch

/// IR-SE50 against `irse50-procedural`: TreB1eN's Backbone(112, 50, "ir_se") in eval mode, procedural weights.
@Suite("IRSE50 (ArcFace ID network)")
struct IRSE50Tests {
    let fixture: ProceduralFixture<IRSE50>
    var net: IRSE50 { fixture.net }

    init() throws { fixture = try ProceduralFixture("irse50-procedural", list: "model") { try IRSE50() } }

    func ref(_ key: String) throws -> Tensor { try fixture.ref(key) }

    @Test func keysAndParameterCountAreTheOfficialFiles() throws {
        try fixture.expectOfficialKeys(parameterCount: IRSE50.officialParameterCount)
    }

    @Test func stageOutputsAndEmbedding() throws {
        let input = try ref("input_112")
        let features = try net.multiLayerFeatures(input)
        try expectClose(features.body2, try ref("body_2"), "body_2")
        try expectClose(features.body6, try ref("body_6"), "body_6")
        try expectClose(features.body20, try ref("body_20"), "body_20")
        try expectClose(features.body23, try ref("body_23"), "body_23")
        try expectClose(try net(input), try ref("embedding_112"), "embedding_112")
        #expect(try features.flattened().map(\.shape) == [[2, 64 * 56 * 56], [2, 128 * 28 * 28], [2, 256 * 14 * 14],
                                                           [2, 512 * 7 * 7], [2, 512]])
    }

    @Test func idLossPathCropsPoolsAndNormalises() throws {
        try expectClose(try net.idLossEmbedding(ref("input_256")), try ref("embedding_256_idloss"),
                        "embedding_256_idloss")
    }

    @Test func bfloat16StaysClose() throws {
        try net.to(dtype: .bfloat16)
        let embedding = try net(ref("input_112").to(dtype: .bfloat16))
        #expect(embedding.dtype == .bfloat16)
        let cosine = try F.cosineSimilarity(embedding.to(dtype: .float32), ref("embedding_112")).min().item()
        #expect(cosine > 0.99, "bf16 vs f32 embedding cosine \(cosine)")
    }

    @Test func gradientsReachTheImageNotTheWeights() throws {
        let x = try ref("input_112").slice(0, 0, 1).clone().requiresGrad(true)
        try net(x).sum().backward()
        let grad = try #require(try x.grad)
        #expect(try grad.isfinite().all().item() == 1)
        #expect(try grad.abs().max().item() > 0)
        #expect(try net.parameters().allSatisfy { try $0.grad == nil })
    }

    @Test func wrongShapesAreRejectedAtTheBoundary() throws {
        let small = try Tensor.zeros([1, 3, 64, 64])
        #expect(thrownMessage { _ = try net(small) }?.contains("expected input [N, 3, 112, 112]") == true)
        #expect(thrownMessage { _ = try IRSE50.idLossInput(small) }?.contains("[N, 3, 256, 256]") == true)
    }

    @Test func loadingAFileOfOtherKeysNamesTheFileAndTheKeys() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("irse50-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(["input_layer.0.weight": Tensor.zeros([64, 3, 3, 3]), "fc.weight": Tensor.zeros([1])],
                              to: path)
        let message = try #require(thrownMessage { _ = try IRSE50.load(from: path) })
        #expect(message.hasPrefix(path))
        #expect(message.contains("IR-SE50"))
        #expect(message.contains("\"fc.weight\""))
        #expect(message.contains("\"body.23.res_layer.5.fc2.weight\""))
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
