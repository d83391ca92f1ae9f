import Foundation
import StyleGAN
import TestSupport
import Testing

/// `stylegan demo` without trained testbed models (an empty models folder): the projector demo on the bundled random
/// generator, shortened. The testbed demo is tested with the tiny models of `EvaluateCLITests`.
@Suite("CLI: demo")
struct DemoCLITests {
    @Test func writesThePageAndEveryPicture() throws {
        let dir = try Scratch()
        try FileManager.default.createDirectory(atPath: dir.path("none"), withIntermediateDirectories: true)
        let r = try CLI.run(["demo", "--outdir", dir.path("demo"), "--steps", "20", "--samples", "200", "--models", dir.path("none")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("RANDOM weights") && r.stdout.contains("open \(dir.path("demo"))/index.html"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path("demo")).sorted()
        #expect(files == ["ganspace0.png", "index.html", "inversion.safetensors", "mixing-seeds.png", "reconstruction.png",
                          "seeds.png", "sefa0.png", "sefa1.png", "target.png", "truncation.png"])
        let html = try String(contentsOfFile: dir.path("demo/index.html"), encoding: .utf8)
        for piece in ["target.png", "reconstruction.png", "sefa0.png", "sefa1.png", "ganspace0.png", "PSNR", "SSIM",
                      "random weights"] {
            #expect(html.contains(piece), "page shows \(piece)")
        }
        let inversion = try InversionFile.read(dir.path("demo/inversion.safetensors"))
        #expect(inversion.metadata.method == "projector" && inversion.metadata.lossCurve.count == 20)
    }
}
