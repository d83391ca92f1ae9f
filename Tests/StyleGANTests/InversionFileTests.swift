import Checkpoints
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

@Suite("Inversion file")
struct InversionFileTests {
    let loaded: LoadedGenerator
    let sha: String

    init() throws {
        try Runtime.start()
        let path = try Fixtures.path("stylegan2-tiny64/generator.pt")
        loaded = try GeneratorCheckpoint.load(path)
        sha = try SHA256.hex(ofFile: path)
    }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    @Test func roundTripWithFeatureAndDeltas() throws {
        let g = loaded.generator
        let wPlus = try Tensor.randn([10, 128], generator: Generator(seed: 1))
        let feature = try Tensor.randn([64, 16, 16], generator: Generator(seed: 2))
        let delta = try Tensor.randn([1, 64, 64, 3, 3], generator: Generator(seed: 3)) * 0.01
        let meta = InversionFile.Metadata(method: "gani", options: ["steps": "300"], generatorSHA256: sha,
                                          imageSize: 64, seconds: 1.5, lossCurve: [0.5, 0.25])
        let file = InversionFile(wPlus: wPlus, feature: (5, feature, 0.75),
                                 deltas: (.multiplicative, ["convs.3.conv.weight": delta]), metadata: meta)
        let path = temporary("inv.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let back = try InversionFile.read(path)
        #expect(back.metadata == meta)
        try expectClose(back.wPlus, wPlus, tol: 0, "w_plus")
        #expect(back.feature?.layer == 5 && back.feature?.blend == 0.75)
        try expectClose(#require(back.feature).tensor, feature, tol: 0, "feature")
        #expect(back.deltas?.kind == .multiplicative)
        // Rendering applies the feature and the tuned weights: same as doing it by hand.
        let image = try loaded.render(back, generatorSHA256: sha)
        let tuned = try g.applying(.multiplicative, ["convs.3.conv.weight": delta])
        let expected = try tuned.synthesis(wPlus.unsqueeze(0), feature: FeatureInjection(layer: 5, tensor: feature.unsqueeze(0), blend: 0.75))
        try expectClose(image, expected, tol: 1e-6, "rendered inversion")
        try expectClose(tuned.convs[3].conv.weight, try g.convs[3].conv.weight * (delta + 1), tol: 1e-6, "theta (1 + delta)")
        #expect(try maxAbsDifference(tuned.convs[3].conv.weight, g.convs[3].conv.weight) > 0)
    }

    @Test func noiseMapsTravelWithTheInversion() throws {
        let maps = try loaded.generator.noises.maps.enumerated().map { i, m in
            try Tensor.randn(m.shape, generator: Generator(seed: UInt64(i)))
        }
        let wPlus = try Tensor.randn([10, 128], generator: Generator(seed: 4))
        let file = InversionFile(wPlus: wPlus, noiseMaps: maps,
                                 metadata: .init(method: "projector", generatorSHA256: sha, imageSize: 64, seconds: 0))
        let path = temporary("noise.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try file.write(to: path)
        let back = try InversionFile.read(path)
        #expect(back.noiseMaps?.count == 9)
        let expected = try loaded.generator.synthesis(wPlus.unsqueeze(0), noise: .explicit(maps))
        try expectClose(try loaded.render(back, generatorSHA256: sha), expected, tol: 1e-6, "render with stored noise")
    }

    @Test func anotherGeneratorIsRefused() throws {
        let file = InversionFile(wPlus: try Tensor.zeros([10, 128]),
                                 metadata: .init(method: "projector", generatorSHA256: String(repeating: "0", count: 64),
                                                 imageSize: 64, seconds: 0))
        let error = #expect(throws: TorchError.self) { try loaded.render(file, generatorSHA256: sha) }
        #expect(error?.message.contains("another generator") == true)
    }

    @Test func additiveDeltasAndBadDeltas() throws {
        let g = loaded.generator
        let d = try Tensor.full([64], 0.5)
        let tuned = try g.applying(.additive, ["conv1.activate.bias": d])
        try expectClose(tuned.conv1.activate.bias, try g.conv1.activate.bias + 0.5, tol: 1e-7, "theta + delta")
        #expect(throws: TorchError.self) { try g.applying(.additive, ["nope": d]) }
        #expect(throws: TorchError.self) { try g.applying(.additive, ["conv1.activate.bias": Tensor.zeros([3])]) }
    }

    @Test func filesThatAreNotInversionsAreRejected() throws {
        let path = temporary("plain.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Safetensors.write(["w_plus": try Tensor.zeros([10, 128])], to: path)
        let error = #expect(throws: CheckpointError.self) { try InversionFile.read(path) }
        #expect(error?.description.contains("not an inversion file") == true)
    }
}
