import Foundation
import StyleGAN
import TestSupport
import Testing

/// `stylegan demo` (what `make demo` runs), shortened.
@Suite("CLI: demo")
struct DemoCLITests {
    @Test func writesThePageAndEveryPicture() throws {
        let dir = try Scratch()
        let r = try CLI.run(["demo", "--outdir", dir.path("demo"), "--steps", "20", "--samples", "200"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("RANDOM weights") && r.stdout.contains("open \(dir.path("demo"))/index.html"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path("demo")).sorted()
        #expect(files == ["ganspace0.png", "index.html", "inversion.safetensors", "mixing.png", "reconstruction.png",
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
