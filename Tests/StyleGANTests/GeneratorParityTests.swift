import TestSupport
import Testing
import Torch
@testable import StyleGAN

/// The rosinality generator fixture: every case within 1e-4 x max(1, |ref|).
@Suite("Generator parity (stylegan2-tiny64)")
struct GeneratorParityTests {
    let loaded: LoadedGenerator
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        loaded = try GeneratorCheckpoint.load(Fixtures.path("stylegan2-tiny64/generator.pt"))
        cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
    }

    var g: StyleGAN2Generator { loaded.generator }

    func ref(_ key: String) throws -> Tensor {
        guard let t = cases[key] else { throw TorchError("fixture case \(key) missing") }
        return t
    }

    @Test func architectureIsInferredFromTheCheckpoint() throws {
        #expect(g.config.size == 64)
        #expect(g.config.styleDim == 128)
        #expect(g.config.nMLP == 4)
        #expect(g.config.channels == [64, 64, 64, 64, 64])
        #expect(g.nLatent == 10)
        #expect(g.numLayers == 9)
        #expect(g.parameterCount == 515_992)
        #expect(loaded.layout == "rosinality checkpoint (g_ema)")
        #expect(!loaded.latentAvgComputed)
        #expect(loaded.otherContents == ["args"])
    }

    @Test func constNoiseIsTheCheckpointsBuffers() throws {
        for i in 0..<9 { try expectClose(g.noises.maps[i], try ref("noise_\(i)"), tol: 0, "noise_\(i)") }
        try expectClose(loaded.latentAvg, try ref("latent_avg"), tol: 0, "latent_avg")
    }

    @Test func mapping() throws {
        try expectClose(try g.mapping(ref("z")), try ref("w"), "w = mapping(z)")
    }

    @Test func imageFromW() throws {
        try expectClose(try g([ref("w")], inputIsLatent: true), try ref("image_w"), "image_w")
    }

    @Test func imageFromZ() throws {
        try expectClose(try g([ref("z")]), try ref("image_z"), "image_z")
    }

    @Test func truncation() throws {
        let image = try g([ref("w")], inputIsLatent: true, truncation: 0.7, truncationLatent: loaded.latentAvg)
        try expectClose(image, try ref("image_w_trunc0.7"), "image_w_trunc0.7")
    }

    @Test func wPlus() throws {
        try expectClose(try g([ref("w_plus")], inputIsLatent: true), try ref("image_w_plus"), "image_w_plus")
    }

    @Test func bfloat16ActivationsOnFloat32Weights() throws {
        // Mixed precision: convolutions and activations in bfloat16, weights, styles and demodulation in float32.
        let wPlus = try ref("w_plus")
        let image = try g.synthesis(wPlus, compute: .bfloat16)
        #expect(image.dtype == .bfloat16)
        let reference = try ref("image_w_plus")
        let error = try (image.to(dtype: .float32) - reference).abs().max().item()
        let scale = try reference.abs().max().item()
        // The largest error is 1.1% of the largest value.
        #expect(error > 0 && error < 0.025 * scale, "max error \(error) against max |ref| \(scale)")
    }

    @Test func batchesRunInChunksWithTheSameImages() throws {
        let g = try Generator(seed: 11)
        let wPlus = try Tensor.randn([3, self.g.nLatent, 128], generator: g)
        let f = try Tensor.randn([3, 64, 16, 16], generator: g)
        for feature in [nil, FeatureInjection(layer: 5, tensor: f, blend: 0.5)] {
            let whole = try self.g.synthesis(wPlus, noise: .random(seed: 4), feature: feature)
            // One image per chunk: the noise maps are drawn for the whole batch either way.
            let chunked = try self.g.synthesis(wPlus, noise: .random(seed: 4), feature: feature, compute: nil, chunkBytes: 1)
            try expectClose(chunked, whole, "chunked synthesis")
        }
    }

    @Test func styleMixing() throws {
        let image = try g([ref("w"), ref("w_mix_second")], inputIsLatent: true, injectIndex: 3)
        try expectClose(image, try ref("image_mix_inject3"), "image_mix_inject3")
    }

    @Test func everyFeatureAndRGB() throws {
        let wPlus = try g.latents([ref("w")], inputIsLatent: true)
        var features: [Int: Tensor] = [:]
        var rgbs: [Int: Tensor] = [:]
        _ = try g.synthesis(wPlus) { event in
            switch event {
            case .feature(let layer, let x): features[layer] = x
            case .rgb(let index, let x): rgbs[index] = x
            }
        }
        for i in 0..<9 { try expectClose(#require(features[i + 1]), try ref("feature_\(i)"), "feature_\(i)") }
        for i in 0..<5 { try expectClose(#require(rgbs[i]), try ref("rgb_\(i)"), "rgb_\(i)") }
        // feature(atLayer:) agrees with the trace and counts K from 1.
        try expectClose(try g.feature(atLayer: 5, wPlus), try ref("feature_4"), "feature(atLayer: 5)")
    }

    @Test func batchOfOneEqualsTheBatch() throws {
        // Batch 1 runs the grouped form, batch 3 the folded form; both must give the reference.
        let w = try ref("w")
        let single = try g([w.slice(0, 1, 2)], inputIsLatent: true)
        try expectClose(single, try ref("image_w").slice(0, 1, 2), "image_w[1] alone")
    }
}

/// F space: a feature replaces layer K's output as the input of layer K + 1.
@Suite("Feature injection")
struct FeatureInjectionTests {
    let g: StyleGAN2Generator
    let wPlus: Tensor

    init() throws {
        try Runtime.start()
        g = try GeneratorCheckpoint.load(Fixtures.path("stylegan2-tiny64/generator.pt")).generator
        let cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
        wPlus = try g.latents([#require(cases["w"])], inputIsLatent: true)
    }

    @Test func theGeneratorsOwnFeatureChangesNothing() throws {
        let f = try g.feature(atLayer: 5, wPlus)
        #expect(f.shape == [3, 64, 16, 16])
        let image = try g.synthesis(wPlus, feature: FeatureInjection(layer: 5, tensor: f))
        try expectClose(image, try g.synthesis(wPlus), tol: 1e-6, "G with its own F")
    }

    @Test func blendZeroIgnoresTheFeatureAndBlendOneUsesIt() throws {
        let other = try Tensor.randn([3, 64, 16, 16], generator: Generator(seed: 9))
        let none = try g.synthesis(wPlus, feature: FeatureInjection(layer: 5, tensor: other, blend: 0))
        try expectClose(none, try g.synthesis(wPlus), tol: 1e-6, "blend 0")
        let full = try g.synthesis(wPlus, feature: FeatureInjection(layer: 5, tensor: other))
        #expect(try maxAbsDifference(full, try g.synthesis(wPlus)) > 1e-3)
        // Layer 6 reads the feature: its output depends only on the feature and rows 5... of w+.
        var sixth: Tensor?
        _ = try g.synthesis(wPlus, feature: FeatureInjection(layer: 5, tensor: other)) { event in
            if case .feature(6, let x) = event { sixth = x }
        }
        let direct = try g.convs[4](other, style: wPlus.select(1, 5), noise: g.noises.maps[5])
        try expectClose(#require(sixth), direct, tol: 1e-6, "layer 6 from the feature")
    }

    @Test func badFeaturesAreClearErrors() throws {
        #expect(throws: TorchError.self) {
            try g.synthesis(wPlus, feature: FeatureInjection(layer: 5, tensor: Tensor.zeros([3, 64, 8, 8])))
        }
        #expect(throws: TorchError.self) {
            try g.synthesis(wPlus, feature: FeatureInjection(layer: 9, tensor: Tensor.zeros([3, 64, 64, 64])))
        }
        #expect(throws: TorchError.self) { try g.feature(atLayer: 0, wPlus) }
    }
}
