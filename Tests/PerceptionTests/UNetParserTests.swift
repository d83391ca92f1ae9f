import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing
import Torch

/// E2Style's U-Net parser against `perception/unet-parser`: unet(feature_scale=4, n_classes=19), eval, procedural
/// weights, 256x256 input. Also covers the loading rules the face networks share.
@Suite("UNetParser (E2Style face parser)")
struct UNetParserTests {
    let fixture: ProceduralFixture<UNetFaceParser>
    var net: UNetFaceParser { fixture.net }

    init() throws { fixture = try ProceduralFixture("perception/unet-parser") { try UNetFaceParser() } }

    func ref(_ key: String) throws -> Tensor { try fixture.ref(key) }

    @Test func keysAndParameterCountAreTheOfficialFiles() throws {
        try fixture.expectOfficialKeys(parameterCount: UNetFaceParser.officialParameterCount)
    }

    @Test func fiveFlattenedFeatures() throws {
        let features = try net(ref("input"))
        #expect(features.count == 5)
        for (i, feature) in features.enumerated() {
            try expectClose(feature, try ref("feature\(i + 1)"), "feature\(i + 1)")
        }
    }

    @Test func logitsHaveTheInputSize() throws {
        #expect(try net.logits(Procedural.input([2, 3, 32, 48])).shape == [2, 19, 32, 48])
    }

    @Test func bfloat16StaysClose() throws {
        try net.to(dtype: .bfloat16)
        let features = try net(ref("input").to(dtype: .bfloat16))
        for (i, feature) in features.enumerated() {
            #expect(feature.dtype == .bfloat16)
            let cosine = try F.cosineSimilarity(feature.to(dtype: .float32), ref("feature\(i + 1)")).item()
            #expect(cosine > 0.99, "feature\(i + 1): bf16 vs f32 cosine \(cosine)")
        }
    }

    @Test func gradientsReachTheImageNotTheWeights() throws {
        let x = try Procedural.input([1, 3, 32, 32]).requiresGrad(true)
        try net(x).reduce(Tensor.zeros([])) { try $0 + $1.mean() }.backward()
        let grad = try #require(try x.grad)
        #expect(try grad.isfinite().all().item() == 1)
        #expect(try grad.abs().max().item() > 0)
        #expect(try net.parameters().allSatisfy { try $0.grad == nil })
    }

    @Test func wrongShapesAreRejectedAtTheBoundary() throws {
        #expect(thrownMessage { _ = try net(Tensor.zeros([1, 3, 40, 32])) }?.contains("multiples of 16") == true)
        #expect(thrownMessage { _ = try net(Tensor.zeros([1, 1, 32, 32])) }?.contains("[N, 3, H, W]") == true)
    }

    @Test func loadsDataParallelKeysFromAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("unet-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let weights = try Procedural.stateDict(fixture.keys)
        try Safetensors.write(Dictionary(uniqueKeysWithValues: weights.map { ("module." + $0.key, $0.value) }), to: path)
        let loaded = try UNetFaceParser.load(from: path)
        #expect(loaded.isTraining == false)
        #expect(loaded.parameters().allSatisfy { !$0.requiresGrad })
        try expectClose(try loaded(ref("input"))[4], try ref("feature5"), "feature5 after load(from:)")
    }

    @Test func loadingAMissingFileNamesIt() throws {
        let message = thrownMessage { _ = try UNetFaceParser.load(from: "no/such/parsing.pth") }
        #expect(message == "no/such/parsing.pth: no such file")
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
