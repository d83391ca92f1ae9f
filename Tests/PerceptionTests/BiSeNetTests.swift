import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing
import Torch

/// BiSeNet against `perception/bisenet`: face-parsing.PyTorch's BiSeNet(19), eval, procedural weights, 128x128
/// input. Procedural weights drive the logits to ~1e8, so errors are relative to max |ref| (expectClose's rule).
@Suite("BiSeNet (face parsing)")
struct BiSeNetTests {
    let fixture: ProceduralFixture<BiSeNet>
    var net: BiSeNet { fixture.net }

    init() throws { fixture = try ProceduralFixture("perception/bisenet") { try BiSeNet() } }

    func ref(_ key: String) throws -> Tensor { try fixture.ref(key) }

    @Test func keysAndParameterCountAreTheOfficialFiles() throws {
        try fixture.expectOfficialKeys(parameterCount: BiSeNet.officialParameterCount)
    }

    @Test func threeHeadsUpsampledToTheInput() throws {
        let outputs = try net(ref("input"))
        try expectClose(outputs.out, try ref("out"), "out")
        try expectClose(outputs.out16, try ref("out16"), "out16")
        try expectClose(outputs.out32, try ref("out32"), "out32")
        #expect(try outputs.flattened().map(\.shape) == Array(repeating: [1, 19 * 128 * 128], count: 3))
    }

    @Test func lossInputMapsToImageNetStatistics() throws {
        // A uniform image at t in [-1, 1] becomes (0.5 t + 0.5 - mean) / std per channel, at the requested size.
        let images = try Tensor.full([2, 3, 8, 8], -0.2)
        let prepared = try BiSeNet.lossInput(images, size: 16)
        #expect(prepared.shape == [2, 3, 16, 16])
        let mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225]
        for c in 0..<3 {
            let value = try prepared.select(1, c).mean().item()
            #expect(abs(value - (0.4 - mean[c]) / std[c]) < 1e-5)
        }
        #expect(abs(try BiSeNet.lossInput(Tensor.full([1, 3, 4, 4], 3), size: 4).select(1, 0).max().item()
                - (1 - 0.485) / 0.229) < 1e-5, "values above 1 clamp")
    }

    @Test func bfloat16StaysClose() throws {
        try net.to(dtype: .bfloat16)
        let out = try net(ref("input").to(dtype: .bfloat16)).out
        #expect(out.dtype == .bfloat16)
        let cosine = try F.cosineSimilarity(out.to(dtype: .float32).flatten(from: 1), ref("out").flatten(from: 1))
            .item()
        #expect(cosine > 0.99, "bf16 vs f32 logits cosine \(cosine)")
    }

    @Test func gradientsReachTheImageNotTheWeights() throws {
        let x = try Procedural.input([1, 3, 64, 64]).requiresGrad(true)
        let outputs = try net(x)
        try (outputs.out.mean() + outputs.out16.mean() + outputs.out32.mean()).backward()
        let grad = try #require(try x.grad)
        #expect(try grad.isfinite().all().item() == 1)
        #expect(try grad.abs().max().item() > 0)
        #expect(try net.parameters().allSatisfy { try $0.grad == nil })
    }

    @Test func wrongShapesAreRejectedAtTheBoundary() throws {
        let message = thrownMessage { _ = try net(Tensor.zeros([1, 4, 64, 64])) }
        #expect(message?.contains("expected input [N, 3, H, W]") == true)
        #expect(thrownMessage { _ = try BiSeNet.lossInput(Tensor.zeros([1, 1, 64, 64])) } != nil)
    }

    @Test func loadingAFileOfOtherKeysNamesTheFileAndTheKeys() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bisenet-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(["resnet.conv1.weight": Tensor.zeros([64, 3, 7, 7])], to: path)
        let message = try #require(thrownMessage { _ = try BiSeNet.load(from: path) })
        #expect(message.hasPrefix(path))
        #expect(message.contains("BiSeNet"))
        #expect(message.contains("\"resnet.conv1.weight\""))
        #expect(message.contains("\"cp.resnet.conv1.weight\""))
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
