import TestSupport
import Testing
import Torch
@testable import StyleGAN

/// A stylegan2-ada-pytorch training snapshot, read through the restricted unpickler and renamed.
@Suite("NVIDIA .pkl parity (nvidia-pkl64)")
struct NvidiaCheckpointTests {
    let loaded: LoadedGenerator
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        loaded = try NvidiaCheckpoint.load(Fixtures.path("nvidia-pkl64/network-snapshot.pkl"))
        cases = try Fixtures.cases("nvidia-pkl64/cases.safetensors")
    }

    func ref(_ key: String) throws -> Tensor {
        guard let t = cases[key] else { throw TorchError("fixture case \(key) missing") }
        return t
    }

    @Test func architectureAndClampComeFromThePickle() throws {
        let g = loaded.generator
        #expect(g.config.size == 64)
        #expect(g.config.styleDim == 128)
        #expect(g.config.nMLP == 4)
        #expect(g.config.convClamp == 8)
        #expect(g.nLatent == 10)
        #expect(loaded.layout.hasPrefix("stylegan2-ada-pytorch"))
        #expect(loaded.otherContents.contains("D"))
        try expectClose(loaded.latentAvg, try ref("w_avg"), tol: 0, "w_avg")
    }

    @Test func mappingBroadcastsToEveryRow() throws {
        let ws = try ref("ws")
        let w = try loaded.generator.mapping(ref("z"))
        try expectClose(w, try ws.select(1, 0), "mapping(z)")
        try expectClose(try loaded.generator.latents([ref("z")]), ws, "ws")
    }

    @Test func constAndZeroNoise() throws {
        let g = loaded.generator
        try expectClose(try g.synthesis(ref("ws"), noise: .const), try ref("image_const"), "image_const")
        try expectClose(try g.synthesis(ref("ws"), noise: .zero), try ref("image_none"), "image_none")
    }

    @Test func truncationTowardWAvg() throws {
        let g = loaded.generator
        let ws = try g.latents([ref("z")], truncation: 0.7, truncationLatent: loaded.latentAvg)
        try expectClose(ws, try ref("ws_trunc0.7"), "ws_trunc0.7")
        try expectClose(try g.synthesis(ws), try ref("image_trunc0.7_const"), "image_trunc0.7_const")
    }

    @Test func clampingMatters() throws {
        // Without conv_clamp the image differs by up to 0.73: the fixture exercises the clamp.
        var config = loaded.generator.config
        config.convClamp = nil
        let unclamped = try StyleGAN2Generator(config)
        try unclamped.load(stateDict: loaded.generator.stateDict())
        let diff = try (unclamped.synthesis(ref("ws")) - ref("image_const")).abs().max().item()
        #expect(diff > 0.5, "max |difference| \(diff)")
    }

    @Test func aPickleWithoutTheNetworkIsAClearError() throws {
        let error = try #require(throws: (any Error).self) {
            try NvidiaCheckpoint.load(Fixtures.path("nvidia-pkl64/network-snapshot.pkl"), network: "G_missing")
        }
        #expect("\(error)".contains("network-snapshot.pkl"))
        #expect("\(error)".contains("G_missing"))
    }
}
