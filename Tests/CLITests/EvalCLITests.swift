import Checkpoints
import Foundation
import Images
import Perception
import TestSupport
import Testing
import Torch

/// `stylegan eval` end to end: pairing, metrics, weights, errors.
@Suite("CLI: eval")
struct EvalCLITests {
    /// Two folders: a.png pairs with a.jpg-like partners; b is shifted by a constant.
    func folders(_ dir: Scratch, shift: Double = 0.2) throws {
        try FileManager.default.createDirectory(atPath: dir.path("ref"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path("rec"), withIntermediateDirectories: true)
        for (i, name) in ["a", "b"].enumerated() {
            let x = try (Tensor.rand([1, 3, 64, 64], generator: Generator(seed: UInt64(i))) * 1.2 - 0.6)
            try Image(tensor: x).write(to: dir.path("ref/\(name).png"))
            try Image(tensor: name == "a" ? x : x + shift).write(to: dir.path("rec/\(name).png"))
        }
    }

    /// `--id-network dlib` on real aligned faces: the astronaut against herself slightly blurred is the same face,
    /// against Grace Hopper another (dlib's descriptors lie in a narrow cone, so the cosine of two people is ~0.9).
    @Test func dlibIdentityOnRealFaces() throws {
        let dir = try Scratch()
        let resources = Fixtures.packageRoot.appendingPathComponent("Tests/PerceptionTests/Resources/dlib").path
        let astronaut = try Image.read(path: resources + "/astronaut-official.png").tensor()
        let hopper = try Image.read(path: resources + "/grace_hopper-official.png").tensor()
        for folder in ["ref", "same", "other"] {
            try FileManager.default.createDirectory(atPath: dir.path(folder), withIntermediateDirectories: true)
        }
        try Image(tensor: astronaut).write(to: dir.path("ref/a.png"))
        try Image(tensor: F.avgPool2d(astronaut, kernel: (3, 3), stride: (1, 1), padding: (1, 1))).write(to: dir.path("same/a.png"))
        try Image(tensor: hopper).write(to: dir.path("other/a.png"))
        func id(_ folder: String) throws -> Double {
            let r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path(folder), "--metrics", "id",
                                 "--id-network", "dlib", "--json"])
            try #require(r.status == 0, "\(r.stderr)")
            return try JSON(parsing: r.stdout, source: "eval --json").array()[0]["mean"].double()
        }
        let (same, other) = (try id("same"), try id("other"))
        #expect(same > 0.97 && other < 0.93 && other > 0.5, "same \(same), other \(other)")
        let r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("same"), "--metrics", "id",
                             "--id-network", "dlib", "--arcface", dir.path("ref/a.png")])
        #expect(r.status != 0 && r.stderr.contains("not both"), "\(r.stderr)")
    }

    @Test func tableAndJSON() throws {
        let dir = try Scratch()
        try folders(dir)
        var r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"),
                             "--metrics", "psnr,ssim,mse"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("psnr") && r.stdout.contains("ssim") && r.stdout.contains("mse"))
        r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"),
                         "--metrics", "mse,psnr", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSON(parsing: r.stdout, source: "eval --json").array()
        try #require(rows.count == 2, "\(r.stdout)")
        #expect(try rows[0]["name"].string() == "mse" && rows[0]["count"].int() == 2)
        // Pair a is identical (MSE 0); pair b is shifted by 0.2 in [-1, 1], i.e. 0.1 in [0, 1], up to 8-bit rounding.
        let mse = try rows[0]["mean"].double()
        #expect(abs(mse - 0.01 / 2) < 0.0015, "mean MSE \(mse)")
        #expect(try rows[1]["mean"].string() == "inf", "identical pair gives infinite PSNR")
    }

    @Test func lpipsAndIDAndFIDWithWeightFiles() throws {
        let dir = try Scratch()
        try folders(dir)
        // Stand-ins with the published layouts: the LPIPS fixture's random AlexNet, and IR-SE50 and Inception with
        // the fixtures' procedural weights (the same on every run; a fresh Inception's random weights give
        // features so small that FID is 1e-14 whatever the images), saved as safetensors.
        let arcface = try IRSE50()
        try Procedural.fill(arcface)
        try Safetensors.write(try arcface.stateDict().dictionary, to: dir.path("arcface.safetensors"))
        let inception = try FIDInceptionV3()
        try Procedural.fill(inception)
        try Safetensors.write(try inception.stateDict().dictionary, to: dir.path("inception.safetensors"))
        let r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"),
                             "--metrics", "lpips,id,fid", "--lpips-backbone", try Fixtures.path("lpips-alex/alexnet_backbone.pt"),
                             "--arcface", dir.path("arcface.safetensors"), "--inception", dir.path("inception.safetensors"),
                             "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSON(parsing: r.stdout, source: "eval --json").array()
        try #require(try rows.map { try $0["name"].string() } == ["lpips", "id", "fid"], "\(r.stdout)")
        let (lpips, lpipsStd) = (try rows[0]["mean"].double(), try rows[0]["std"].double())
        let (id, idStd) = (try rows[1]["mean"].double(), try rows[1]["std"].double())
        let fid = try rows[2]["mean"].double()
        // Pair a is identical: LPIPS 0 and similarity 1, so over the two pairs std = mean for LPIPS and
        // mean + std = 1 for ID. Pair b's LPIPS makes the mean 0.02195; its similarity is 0.99996 (the procedural
        // IR-SE50 barely sees a shift of all pixels), so the ID mean is just under 1.
        #expect(abs(lpipsStd - lpips) < 1e-9 && abs(lpips - 0.02195) < 0.002, "LPIPS \(lpips) +- \(lpipsStd)")
        #expect(abs(id + idStd - 1) < 1e-6 && id < 1 - 1e-6, "ID \(id) +- \(idStd)")
        // FID of the shifted set is 6.1e8 with these weights (far from the 0 of identical sets).
        #expect(fid > 5e8 && fid < 7.5e8, "FID \(fid)")
    }

    @Test func problemsAreReportedByName() throws {
        let dir = try Scratch()
        try folders(dir)
        try Data("junk".utf8).write(to: URL(fileURLWithPath: dir.path("rec/c.png")))
        try Image(tensor: try Tensor.zeros([1, 3, 64, 64])).write(to: dir.path("ref/c.png"))
        try Image(tensor: try Tensor.zeros([1, 3, 32, 32])).write(to: dir.path("ref/d.png"))
        try Image(tensor: try Tensor.zeros([1, 3, 16, 16])).write(to: dir.path("rec/d.png"))
        try Image(tensor: try Tensor.zeros([1, 3, 16, 16])).write(to: dir.path("ref/e.png"))
        var r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"), "--metrics", "psnr"])
        #expect(r.status != 0)
        for mention in ["c.png", "d.png: 16x16 but its reference", "e.png: no reconstruction"] {
            #expect(r.stderr.contains(mention), "stderr mentions \(mention): \(r.stderr)")
        }
        r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"), "--metrics", "id"])
        #expect(r.status != 0 && r.stderr.contains("model_ir_se50.pth"))
        r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"), "--metrics", "psnr,bogus"])
        #expect(r.status != 0 && r.stderr.contains("unknown metric bogus"))
        r = try CLI.run(["eval", "--reference", dir.path("nope"), "--reconstructed", dir.path("rec"), "--metrics", "psnr"])
        #expect(r.status != 0 && r.stderr.contains("nope: not a folder"))
    }
}
