import Checkpoints
import Foundation
import Perception
import TestSupport
import Testing

/// `stylegan testbed train-perception` and `evaluate-perception` end to end on tiny runs; bad input.
@Suite("CLI: testbed perception", .serialized)
struct TestbedPerceptionCLITests {
    @Test func attributeRunWritesLoadableWeightsAndEvaluates() throws {
        let dir = try Scratch()
        let run = dir.path("attributes")
        let arguments = ["testbed", "train-perception", "attributes", "--outdir", run, "--steps", "2", "--batch", "4",
                         "--width", "4", "--eval-count", "8", "--save-every", "1", "--threads", "1"]
        var r = try CLI.run(arguments)
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("trained 2 iterations"), "\(r.stdout)")
        #expect(r.stdout.contains("test binary_accuracy"), "\(r.stdout)")
        let weights = run + "/attributes.safetensors"
        #expect(try ResNet18Classifier.load(from: weights).width == 4)
        #expect(FileManager.default.fileExists(atPath: run + "/checkpoint/000002.pt"))
        #expect(FileManager.default.fileExists(atPath: run + "/config.json"))

        // Resuming a finished run does nothing more; evaluation reads the weights.
        r = try CLI.run(arguments + ["--resume", "auto"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["testbed", "evaluate-perception", "attributes", "--weights", weights, "--eval-count", "8",
                         "--frechet", "8", "--threads", "1"])
        #expect(r.status == 0 && r.stdout.contains("binary_accuracy"), "\(r.stderr)")
        // The Fréchet distances of the classifier's features: finite and not negative.
        for name in ["frechet_test_vs_test", "frechet_test_vs_wild"] {
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            let value = line.flatMap { Double($0.split(separator: " ")[1]) }
            #expect(value.map { $0.isFinite && $0 >= 0 } == true, "\(name): \(r.stdout)")
        }
    }

    @Test func identityRunWritesWeightsIRSE50Loads() throws {
        let dir = try Scratch()
        let run = dir.path("identity")
        var r = try CLI.run(["testbed", "train-perception", "identity", "--outdir", run, "--steps", "1", "--batch", "4",
                             "--identities", "10", "--variations", "100", "--eval-count", "2", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("test tar_at_far"), "\(r.stdout)")
        #expect(try IRSE50.load(from: run + "/identity.safetensors").configuration == .testbed)
        let config = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        #expect(config.contains("\"variations\" : 100") && config.contains("\"identities\" : 10"), "\(config)")
        // A run from those weights imprints its head and trains on.
        r = try CLI.run(["testbed", "train-perception", "identity", "--outdir", dir.path("further"), "--steps", "1",
                         "--batch", "4", "--identities", "10", "--init", run + "/identity.safetensors",
                         "--eval-count", "2", "--threads", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["testbed", "train-perception", "attributes", "--outdir", dir.path("bad"), "--variations", "4"])
        #expect(r.status != 0 && r.stderr.contains("--variations"), "\(r.stderr)")
    }

    /// The parsers through the same commands: a one-step U-Net run writes weights `UNetFaceParser.load` reads, and
    /// evaluate-perception scores them (mIoU and per-class IoU).
    @Test func parserRunWritesWeightsAndEvaluates() throws {
        let dir = try Scratch()
        let run = dir.path("unet")
        var r = try CLI.run(["testbed", "train-perception", "unet", "--outdir", run, "--steps", "1", "--batch", "2",
                             "--size", "64", "--eval-count", "2", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("test miou"), "\(r.stdout)")
        let weights = run + "/unet.safetensors"
        #expect(try UNetFaceParser.load(from: weights).classCount == 19)
        r = try CLI.run(["testbed", "evaluate-perception", "unet", "--weights", weights, "--size", "64",
                         "--eval-count", "2", "--threads", "1"])
        #expect(r.status == 0 && r.stdout.contains("miou") && r.stdout.contains("iou_background"), "\(r.stdout)\(r.stderr)")
    }

    /// The testbed LPIPS: layers calibrated on a tiny classifier's features, written as LPIPS(testbed:) reads them,
    /// and scored by evaluate-perception (2AFC agreement) with the same trunk.
    @Test func lpipsCalibrationWritesItsLayersAndEvaluates() throws {
        let dir = try Scratch()
        let classifier = dir.path("classifier")
        var r = try CLI.run(["testbed", "train-perception", "attributes", "--outdir", classifier, "--steps", "1",
                             "--batch", "4", "--width", "4", "--eval-count", "4", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        let trunk = classifier + "/attributes.safetensors"
        let run = dir.path("lpips")
        r = try CLI.run(["testbed", "train-perception", "lpips", "--outdir", run, "--trunk", trunk, "--steps", "2",
                         "--batch", "2", "--eval-count", "4", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("test two_afc ") && r.stdout.contains("test two_afc_l2 "), "\(r.stdout)")
        let weights = run + "/lpips.safetensors"
        _ = try LPIPS(testbed: ResNet18Classifier.load(from: trunk), linearLayers: weights)
        r = try CLI.run(["testbed", "evaluate-perception", "lpips", "--weights", weights, "--trunk", trunk,
                         "--eval-count", "4", "--threads", "1"])
        #expect(r.status == 0 && r.stdout.contains("two_afc "), "\(r.stdout)\(r.stderr)")
        r = try CLI.run(["testbed", "evaluate-perception", "lpips", "--weights", weights, "--trunk", dir.path("none.safetensors")])
        #expect(r.status != 0 && r.stderr.contains("none.safetensors"), "\(r.stderr)")
        r = try CLI.run(["testbed", "evaluate-perception", "identity", "--weights", weights, "--trunk", trunk])
        #expect(r.status != 0 && r.stderr.contains("--trunk"), "\(r.stderr)")
    }

    /// `stylegan eval` with the shipped testbed networks: LPIPS on the attribute classifier and the testbed ID.
    @Test func evalScoresWithTheShippedTestbedNetworks() throws {
        let dir = try Scratch()
        let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Models/testbed").standardized.path
        for (name, extra) in [("clean", [String]()), ("rough", ["--photo-like"])] {
            let r = try CLI.run(["testbed", "render", "--count", "3", "--size", "64", "--split", "test", "--out",
                                 dir.path(name)] + extra)
            try #require(r.status == 0, "\(r.stderr)")
        }
        let r = try CLI.run(["eval", "--reference", dir.path("clean/images"), "--reconstructed", dir.path("rough/images"),
                             "--metrics", "lpips,id", "--lpips-net", "testbed", "--weights", models, "--json",
                             "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"lpips\"") && r.stdout.contains("\"id\""), "\(r.stdout)")
    }

    /// `evaluate-generator` on a one-iteration 64-pixel generator: the generated and floor figures, all finite and
    /// in range; a generator of a size the testbed does not render and too small a count are refused.
    @Test func evaluateGeneratorPrintsItsFiguresAndTheFloor() throws {
        let dir = try Scratch()
        let classifier = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Models/testbed/attributes.safetensors").standardized.path
        var r = try CLI.run(["testbed", "render", "--count", "4", "--size", "64", "--out", dir.path("data"), "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        func generator(_ size: Int) throws -> String {
            let r = try CLI.run(["train", "generator", dir.path("data/images"), "--outdir", dir.path("g\(size)"), "--size",
                                 "\(size)", "--batch", "2", "--mbstd", "2", "--n_sample", "2", "--cbase", "256", "--cmax", "16",
                                 "--latent", "16", "--n_mlp", "2", "--iter", "1", "--save_every", "1", "--sample_every", "1",
                                 "--workers", "1", "--threads", "1"])
            try #require(r.status == 0, "\(r.stderr)")
            return dir.path("g\(size)/checkpoint/000001.pt")
        }
        r = try CLI.run(["testbed", "evaluate-generator", "--checkpoint", try generator(64), "--count", "8", "--classifier",
                         classifier, "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        var values: [String: Double] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        for set in ["generated", "floor"] {
            let fd = try #require(values["\(set)_frechet"], "\(r.stdout)")
            #expect(fd.isFinite && fd >= -1e-6)
            for name in ["precision", "recall"] {
                let v = try #require(values["\(set)_\(name)"], "\(r.stdout)")
                #expect(v >= 0 && v <= 1)
            }
        }
        r = try CLI.run(["testbed", "evaluate-generator", "--checkpoint", try generator(32), "--count", "8", "--classifier",
                         classifier, "--threads", "1"])
        #expect(r.status != 0 && r.stderr.contains("32-pixel") && r.stderr.contains("64, 128, 256, 512"), "\(r.stderr)")
        r = try CLI.run(["testbed", "evaluate-generator", "--checkpoint", dir.path("g64/checkpoint/000001.pt"), "--count", "2",
                         "--classifier", classifier])
        #expect(r.status != 0 && r.stderr.contains("--count"), "\(r.stderr)")
    }

    @Test func badInputIsAClearError() throws {
        let dir = try Scratch()
        var r = try CLI.run(["testbed", "train-perception", "nose", "--outdir", dir.path("x")])
        #expect(r.status != 0 && r.stderr.contains("nose"), "\(r.stderr)")
        r = try CLI.run(["testbed", "train-perception", "identity", "--outdir", dir.path("x"), "--size", "100"])
        #expect(r.status != 0 && r.stderr.contains("--size"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("x")))
        r = try CLI.run(["testbed", "evaluate-perception", "identity", "--weights", dir.path("none.safetensors")])
        #expect(r.status != 0 && r.stderr.contains("none.safetensors"), "\(r.stderr)")
        r = try CLI.run(["testbed", "evaluate-perception", "identity", "--weights", dir.path("none.safetensors"),
                         "--frechet", "8"])
        #expect(r.status != 0 && r.stderr.contains("--frechet"), "\(r.stderr)")
    }
}
