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
        let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        #expect(rows.count == 2 && rows[0]["name"] as? String == "mse" && rows[0]["count"] as? Int == 2)
        // Pair a is identical (MSE 0); pair b is shifted by 0.2 in [-1, 1], i.e. 0.1 in [0, 1], up to 8-bit rounding.
        let mse = rows[0]["mean"] as! Double
        #expect(abs(mse - 0.01 / 2) < 0.0015, "mean MSE \(mse)")
        #expect(rows[1]["mean"] as? String == "inf", "identical pair gives infinite PSNR")
    }

    @Test func lpipsAndIDAndFIDWithWeightFiles() throws {
        let dir = try Scratch()
        try folders(dir)
        // Random-weight stand-ins with the published layouts: the LPIPS fixture's AlexNet, a fresh IR-SE50 and
        // Inception saved as safetensors.
        try Safetensors.write(try IRSE50().stateDict().dictionary, to: dir.path("arcface.safetensors"))
        try Safetensors.write(try FIDInceptionV3().stateDict().dictionary, to: dir.path("inception.safetensors"))
        let r = try CLI.run(["eval", "--reference", dir.path("ref"), "--reconstructed", dir.path("rec"),
                             "--metrics", "lpips,id,fid", "--lpips-backbone", try Fixtures.path("lpips-alex/alexnet_backbone.pt"),
                             "--arcface", dir.path("arcface.safetensors"), "--inception", dir.path("inception.safetensors"),
                             "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        #expect(rows.map { $0["name"] as! String } == ["lpips", "id", "fid"])
        #expect((rows[0]["mean"] as! Double) > 0)
        #expect((rows[1]["mean"] as! Double) <= 1.0001)
        #expect((rows[2]["mean"] as! Double) >= 0)
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
