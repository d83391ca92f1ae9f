import Checkpoints
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan hide` and `stylegan reveal` on the tiny generator of `TrainEncoderCLITests`.
@Suite("CLI: hide and reveal", .serialized)
struct HideCLITests {
    /// E2Style's secure deep hiding end to end: an inversion's code hidden in a testbed photo (each sample changed by at
    /// most 1), revealed with the generator as the image of the rounded code; lossy outputs and small covers refused.
    @Test func hideAndRevealAnInversion() throws {
        let dir = try Scratch()
        let files = try TrainEncoderCLITests.setUp(dir)
        let wPlus = try Tensor.randn([8, 16], generator: Torch.Generator(seed: 7)) * 3
        let metadata = InversionFile.Metadata(method: "projector", generatorSHA256: try SHA256.hex(ofFile: files.generator),
                                              imageSize: 32, seconds: 0)
        try InversionFile(wPlus: wPlus, metadata: metadata).write(to: dir.path("secret.safetensors"))
        let cover = dir.path("data/images/000001.png")
        var r = try CLI.run(["hide", dir.path("secret.safetensors"), "--cover", cover, "--out", dir.path("stego.png")])
        try #require(r.status == 0, "\(r.stderr)")
        let (before, after) = (try Image.read(path: cover), try Image.read(path: dir.path("stego.png")))
        #expect(zip(before.pixels, after.pixels).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        r = try CLI.run(["reveal", dir.path("stego.png"), "--checkpoint", files.generator, "--out", dir.path("revealed.png"),
                         "--latent", dir.path("revealed.safetensors")])
        try #require(r.status == 0, "\(r.stderr)")
        let revealed = try InversionFile.read(dir.path("revealed.safetensors"))
        #expect(try maxAbsDifference(revealed.wPlus, wPlus.round()) == 0)
        r = try CLI.run(["render", dir.path("revealed.safetensors"), "--checkpoint", files.generator, "--out", dir.path("rendered.png")])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(try Image.read(path: dir.path("rendered.png")) == Image.read(path: dir.path("revealed.png")))

        r = try CLI.run(["hide", dir.path("secret.safetensors"), "--cover", cover, "--out", dir.path("stego.jpg")])
        #expect(r.status != 0 && r.stderr.contains("must be a PNG"), "\(r.stderr)")
        try Image(tensor: Tensor.zeros([1, 3, 8, 8])).write(to: dir.path("small.png"))
        r = try CLI.run(["hide", dir.path("secret.safetensors"), "--cover", dir.path("small.png"), "--out", dir.path("s.png")])
        #expect(r.status != 0 && r.stderr.contains("small.png") && r.stderr.contains("larger cover"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("s.png")))
    }
}
