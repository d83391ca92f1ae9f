import Checkpoints
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan invert` end to end with the projector on the bundled 64x64 generator.
@Suite("CLI: invert")
struct InvertCLITests {
    let generator = Fixtures.packageRoot.appendingPathComponent("Sources/stylegan/Resources/demo-generator-64.safetensors").path

    @Test func projectsRendersAndReports() throws {
        let dir = try Scratch()
        var r = try CLI.run(["generate", "--checkpoint", generator, "--seeds", "5,6", "--outdir", dir.path("src")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["invert", dir.path("src/seed0005.png"), dir.path("src/seed0006.png"), "--checkpoint", generator,
                         "--no-align", "--losses", "l2", "--steps", "40", "--outdir", dir.path("inv"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try JSON.lines(r.stdout, source: "invert --json")
        try #require(lines.count == 2, "\(r.stdout)")
        // 40 steps reach 15.4 and 15.9 dB (one step: 11.0 and 6.2 dB).
        #expect(try lines[0]["psnr"].double() > 14 && lines[1]["psnr"].double() > 14, "\(r.stdout)")
        #expect(try dir.files().contains("inv"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("inv")).sorted()
            == ["seed0005.png", "seed0005.safetensors", "seed0006.png", "seed0006.safetensors"])
        let file = try InversionFile.read(dir.path("inv/seed0005.safetensors"))
        #expect(file.metadata.method == "projector" && file.metadata.lossCurve.count == 40)
        #expect(file.metadata.generatorSHA256 == (try SHA256.hex(ofFile: generator)))
        #expect(file.noiseMaps?.count == 9 && file.wPlus.shape == [10, 64])
        // Rendering the file gives the reconstruction the command wrote.
        r = try CLI.run(["render", dir.path("inv/seed0005.safetensors"), "--checkpoint", generator, "--out", dir.path("r.png")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Image.read(path: dir.path("r.png")).pixels == Image.read(path: dir.path("inv/seed0005.png")).pixels)
    }

    @Test func imagesSmallerThanTheSSIMWindowStillInvert() throws {
        let dir = try Scratch()
        var r = try CLI.run(["random-generator", "--size", "8", "--style-dim", "16", "--n-mlp", "2", "--channels", "8,8",
                             dir.path("g8.safetensors")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["generate", "--checkpoint", dir.path("g8.safetensors"), "--seeds", "1", "--outdir", dir.path("src")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["invert", dir.path("src/seed0001.png"), "--checkpoint", dir.path("g8.safetensors"), "--no-align",
                         "--losses", "l2", "--steps", "50", "--outdir", dir.path("inv"), "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSON(parsing: r.stdout, source: "invert --json")
        // 50 steps reach 15.6 dB (one step: 11.1 dB); SSIM is left out, not made up.
        #expect(try object["ssim"].isNull && object["psnr"].double() > 14, "\(r.stdout)")
    }

    @Test func missingWeightsAndBadImagesAreClearErrors() throws {
        let dir = try Scratch()
        var r = try CLI.run(["invert", "x.png", "--checkpoint", generator, "--no-align", "--outdir", dir.path("inv")])
        #expect(r.status != 0 && r.stderr.contains("vgg16-397923af.pth") && r.stderr.contains("--losses"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: dir.path("junk.png")))
        r = try CLI.run(["invert", dir.path("junk.png"), "--checkpoint", generator, "--no-align", "--losses", "l2",
                         "--steps", "2", "--outdir", dir.path("inv")])
        #expect(r.status != 0 && r.stderr.contains("junk.png"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("inv")).isEmpty)
        r = try CLI.run(["invert", dir.path("junk.png"), "--checkpoint", generator, "--losses", "ssim"])
        #expect(r.status != 0 && r.stderr.contains("--losses"))
    }
}

@Suite("CLI: invert with generator tuning")
struct TuningCLITests {
    let generator = Fixtures.packageRoot.appendingPathComponent("Sources/stylegan/Resources/demo-generator-64.safetensors").path

    @Test(arguments: ["pti", "gani"])
    func tunesAndRendersThroughTheDeltas(method: String) throws {
        let dir = try Scratch()
        var r = try CLI.run(["generate", "--checkpoint", generator, "--seeds", "8", "--outdir", dir.path("src")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["invert", dir.path("src/seed0008.png"), "--checkpoint", generator, "--method", method, "--no-align",
                         "--losses", "l2", "--pivot-losses", "l2", "--steps", "5", "--pivot-steps", "20",
                         "--outdir", dir.path("inv")])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try InversionFile.read(dir.path("inv/seed0008.safetensors"))
        #expect(file.metadata.method == method)
        #expect(file.deltas?.kind == (method == "pti" ? .additive : .multiplicative))
        r = try CLI.run(["render", dir.path("inv/seed0008.safetensors"), "--checkpoint", generator, "--out", dir.path("r.png")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Image.read(path: dir.path("r.png")).pixels == Image.read(path: dir.path("inv/seed0008.png")).pixels)
    }

    /// A real photo through the whole job: aligned with dlib (the default, recorded so edits can align again), then
    /// GANI with dlib's face-recognition network as the identity term. MTCNN stays a choice.
    @Test func realPhotoAlignsWithDlibAndTunesWithItsIdentity() throws {
        let dir = try Scratch()
        let photo = Fixtures.packageRoot.appendingPathComponent("Sources/stylegan/Resources/astronaut.png").path
        var r = try CLI.run(["invert", photo, "--checkpoint", generator, "--method", "gani", "--id-network", "dlib",
                             "--losses", "l2,id", "--pivot-losses", "l2", "--steps", "2", "--pivot-steps", "2",
                             "--outdir", dir.path("inv"), "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let file = try InversionFile.read(dir.path("inv/astronaut.safetensors"))
        #expect(file.metadata.options["align"] == "dlib", "\(file.metadata.options)")
        #expect(file.metadata.lossCurve.count == 2 && file.metadata.lossCurve.allSatisfy(\.isFinite))
        r = try CLI.run(["invert", photo, "--checkpoint", generator, "--detector", "mtcnn", "--losses", "l2", "--steps", "1",
                         "--outdir", dir.path("mtcnn")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["invert", photo, "--checkpoint", generator, "--method", "gani", "--id-network", "dlib",
                         "--dlib-models", dir.path("nowhere"), "--losses", "l2,id", "--pivot-losses", "l2"])
        #expect(r.status != 0 && r.stderr.contains("dlib_face_recognition_resnet_model_v1.dat"), "\(r.stderr)")
    }

    @Test func missingLossWeightsNameTheFile() throws {
        let r = try CLI.run(["invert", "x.png", "--checkpoint", generator, "--method", "gani", "--no-align", "--losses", "l2,id"])
        #expect(r.status != 0 && r.stderr.contains("model_ir_se50.pth"))
    }
}
