import Checkpoints
import Encoders
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan invert --method psp` end to end: a pSp container (random encoder, a small random generator with
/// pSp's 512-d codes as its decoder, latent_avg, opts) written as safetensors, inverted, rendered through the
/// same file.
@Suite("CLI: encoder inversion")
struct EncoderCLITests {
    @Test func pspContainerInvertsAndRenders() throws {
        try Runtime.start()
        let dir = try Scratch()
        let tiny = try LoadedGenerator.random(GeneratorConfig(size: 32, styleDim: 512, nMLP: 2, channels: [32, 32, 32, 32]),
                                              seed: 3)
        try GeneratorCheckpoint.save(tiny, to: dir.path("g.safetensors"))
        let encoder = try GradualStyleEncoder(inputChannels: 3, styleCount: tiny.generator.nLatent)
        var weights = StateDict()
        for (name, tensor) in try encoder.stateDict() { weights["encoder." + name] = tensor }
        for (name, tensor) in try tiny.generator.stateDict() { weights["decoder." + name] = tensor }
        let options = EncoderOptions(["encoder_type": .string("GradualStyleEncoder"), "output_size": .int(32),
                                      "input_nc": .int(3), "start_from_latent_avg": .bool(true)])
        let file = EncoderCheckpointFile(path: dir.path("psp.safetensors"), weights: weights, latentAvg: tiny.latentAvg,
                                         options: options, recordedMethod: nil, otherContents: [])
        try EncoderCheckpoint.save(file, to: dir.path("psp.safetensors"))

        var r = try CLI.run(["generate", "--checkpoint", dir.path("g.safetensors"), "--seeds", "1",
                             "--outdir", dir.path("src")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["invert", dir.path("src/seed0001.png"), "--method", "psp", "--encoder", dir.path("psp.safetensors"),
                         "--no-align", "--outdir", dir.path("inv")])
        #expect(r.status == 0, "\(r.stderr)")
        let inversion = try InversionFile.read(dir.path("inv/seed0001.safetensors"))
        #expect(inversion.metadata.method == "psp" && inversion.wPlus.shape == [8, 512])
        #expect(inversion.metadata.generatorSHA256 == (try SHA256.hex(ofFile: dir.path("psp.safetensors"))))
        r = try CLI.run(["render", dir.path("inv/seed0001.safetensors"), "--checkpoint", dir.path("psp.safetensors"),
                         "--out", dir.path("r.png")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["info", "--checkpoint", dir.path("psp.safetensors")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("psp") && r.stdout.contains("generator:") && r.stdout.contains("32x32"), "\(r.stdout)")
        r = try CLI.run(["invert", dir.path("src/seed0001.png"), "--method", "e4e", "--encoder", dir.path("psp.safetensors"),
                         "--no-align", "--outdir", dir.path("inv2")])
        #expect(r.status != 0 && r.stderr.contains("psp encoder, not e4e"))
        r = try CLI.run(["invert", dir.path("src/seed0001.png"), "--method", "psp", "--no-align"])
        #expect(r.status != 0 && r.stderr.contains("--encoder"))
    }
}
