import Foundation
import Images
import TestSupport
import Testing
import Torch

/// What `stylegan invert` writes and refuses to write: never an input, never two images into one name, no
/// half-made table after a failure; and the README's first example on a fresh clone.
@Suite("CLI: invert outputs")
struct InvertOutputsCLITests {
    let generator = Fixtures.packageRoot.appendingPathComponent("Sources/stylegan/Resources/demo-generator-64.safetensors").path

    /// Inverting into the photo's own folder would replace `x.png` by its reconstruction: refused before any work.
    @Test func anInputIsNeverOverwritten() throws {
        let dir = try Scratch()
        var r = try CLI.run(["generate", "--checkpoint", generator, "--seeds", "3", "--outdir", dir.path("src")])
        try #require(r.status == 0, "\(r.stderr)")
        let photo = dir.path("src/seed0003.png")
        let before = try Data(contentsOf: URL(fileURLWithPath: photo))
        r = try CLI.run(["invert", photo, "--checkpoint", generator, "--no-align", "--losses", "l2", "--steps", "2",
                         "--outdir", dir.path("src")])
        #expect(r.status != 0 && r.stderr.contains("would overwrite the input"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: photo)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("src")).sorted() == ["latents.npy", "seed0003.png"])
    }

    /// `a/x.png a/x.jpg` would both become `x.safetensors` and `x.png`: refused before any work.
    @Test func collidingOutputNamesAreRefused() throws {
        let dir = try Scratch()
        var r = try CLI.run(["generate", "--checkpoint", generator, "--seeds", "4", "--outdir", dir.path("a")])
        try #require(r.status == 0, "\(r.stderr)")
        try Image.read(path: dir.path("a/seed0004.png")).write(to: dir.path("a/seed0004.jpg"))
        r = try CLI.run(["invert", dir.path("a/seed0004.png"), dir.path("a/seed0004.jpg"), "--checkpoint", generator,
                         "--no-align", "--losses", "l2", "--steps", "2", "--outdir", dir.path("inv")])
        #expect(r.status != 0 && r.stderr.contains("would both write"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("inv")))
    }

    /// A run whose every image fails prints the errors and no empty table.
    @Test func aFailedRunPrintsNoTable() throws {
        let dir = try Scratch()
        try Data("junk".utf8).write(to: URL(fileURLWithPath: dir.path("junk.png")))
        let r = try CLI.run(["invert", dir.path("junk.png"), "--checkpoint", generator, "--no-align", "--losses", "l2",
                             "--steps", "2", "--outdir", dir.path("inv")])
        #expect(r.status != 0 && r.stdout.isEmpty, "stdout: \(r.stdout)")
        #expect(r.stderr.components(separatedBy: "junk.png").count == 2, "the path once: \(r.stderr)")
    }

    /// The README's first invert example works on a fresh clone (no network files).
    @Test func theReadmeExampleRunsWithoutWeights() throws {
        let dir = try Scratch()
        var r = try CLI.run(["generate", "--checkpoint", generator, "--seeds", "7", "--outdir", dir.path("src")])
        try #require(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["invert", dir.path("src/seed0007.png"), "--checkpoint", generator, "--losses", "l2", "--no-align",
                         "--steps", "20", "--outdir", dir.path("inv")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("image\tseconds\tpsnr\tssim\tlpips\n"), "\(r.stdout)")
        let readme = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let firstInvert = try #require(readme.components(separatedBy: "\n").first { $0.hasPrefix("stylegan invert") })
        #expect(firstInvert.contains("--losses l2") && firstInvert.contains("--no-align"), "\(firstInvert)")
        // PTI and GANI name the files their default losses need.
        r = try CLI.run(["invert", dir.path("src/seed0007.png"), "--checkpoint", generator, "--method", "pti", "--no-align",
                         "--losses", "l2", "--outdir", dir.path("inv2")])
        #expect(r.status != 0 && r.stderr.contains("vgg16.pt") && r.stderr.contains("--pivot-losses"), "\(r.stderr)")
    }

    /// Numbers out of range, negative ones included, are refused with the flag and its range, before any work.
    @Test func numericFlagsAreBounded() throws {
        for (flag, value, message) in [("--steps", "-3", "--steps must be in 1...100000, got -3"),
                                        ("--steps", "1000000", "--steps must be in 1...100000, got 1000000"),
                                        ("--seed", "-1", "--seed"), ("--iterations", "0", "--iterations")] {
            let r = try CLI.run(["invert", "x.png", "--checkpoint", generator, "--no-align", "--losses", "l2", flag, value])
            #expect(r.status != 0 && r.stderr.contains(message) && !r.stderr.contains("Missing value"), "\(flag) \(value): \(r.stderr)")
        }
    }
}
