import Editing
import Foundation
import Images
import TestSupport
import Testing

/// `stylegan evaluate` end to end on tiny models: a 64-pixel generator trained one iteration, each of the seven
/// encoders trained one step at 1/32 width by `train encoder`, laid out as a models folder like the shipped one; the
/// quick preset over all ten methods.
@Suite("CLI: evaluate", .serialized)
struct EvaluateCLITests {
    static let networks = Fixtures.packageRoot.appendingPathComponent("Models/testbed").path

    /// A models folder in `dir` (generator.safetensors and METHOD.safetensors, one METHOD.pt) and the folder of the renders.
    static func models(_ dir: Scratch) throws -> (models: String, images: String) {
        func run(_ arguments: [String]) throws {
            let r = try CLI.run(arguments + ["--threads", "1"])
            try #require(r.status == 0, "\(arguments.prefix(4)): \(r.stderr)")
        }
        try run(["testbed", "render", "--count", "4", "--size", "64", "--seed", "3", "--out", dir.path("data")])
        let images = dir.path("data/images")
        try run(["train", "generator", images, "--outdir", dir.path("gen"), "--size", "64", "--batch", "2", "--mbstd", "2",
                 "--n_sample", "2", "--cbase", "512", "--cmax", "16", "--latent", "16", "--n_mlp", "2", "--iter", "1",
                 "--save_every", "1", "--sample_every", "1", "--workers", "1"])
        let generator = dir.path("gen/checkpoint/000001.pt")
        let common = ["--stylegan_weights", generator, "--encoder_width_divisor", "32", "--encoder_input_size", "64",
                      "--batch_size", "2", "--max_steps", "1", "--workers", "1"]
        for method in ["psp", "e4e", "restyle-psp", "restyle-e4e", "e2style"] {
            try run(["train", "encoder", images, "--method", method, "--outdir", dir.path(method), "--lpips_lambda", "0",
                     "--id_lambda", "0", "--l2_lambda", "1", "--parse_lambda", "0"] + common)
        }
        // E2Style's second stage refines the first's (the shipped file holds both).
        try run(["train", "encoder", images, "--method", "e2style", "--training_stage", "2", "--checkpoint_path",
                 dir.path("e2style/checkpoint/000001.pt"), "--outdir", dir.path("e2style-2"), "--lpips_lambda", "0",
                 "--id_lambda", "0", "--l2_lambda", "1", "--parse_lambda", "0"] + common)
        let config = dir.path("fs.yaml")
        try """
            resolution: 64
            batch_size: 2
            epochs: 1
            iter_per_epoch: 1
            enc_width_divisor: 32
            parsing_size: 64
            w:
              l1: 0
              l2: 1
              lpips: 0
              id: 0
              landmark: 0
              f_recon: 0.01
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try run(["train", "encoder", images, "--method", "fs", "--outdir", dir.path("fs"), "--stylegan_model_path", generator,
                 "--config", config, "--workers", "1"])
        try run(["train", "encoder", "--method", "clcae", "--train_contrastive", "--use_norm", "--outdir", dir.path("clcae-c"),
                 "--contrastive_samples", "6", "--contrastive_test_batches", "1", "--test_batch_size", "2", "--save_interval", "1",
                 "--val_interval", "1"] + common)
        try run(["train", "encoder", images, "--method", "clcae", "--train_inversion", "--use_norm", "--outdir", dir.path("clcae"),
                 "--contrastive_model_image", dir.path("clcae-c/checkpoint/best_model_image.pt"),
                 "--contrastive_model_latent", dir.path("clcae-c/checkpoint/best_model_latent.pt"),
                 "--lpips_lambda", "0", "--id_lambda", "0"] + common)
        // The shipped form (float16 safetensors from `convert --half`), but for one encoder left as training wrote it.
        let models = dir.path("models")
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try run(["convert", generator, "\(models)/generator.safetensors", "--half"])
        try run(["convert", dir.path("fs/enc.pth.tar"), "\(models)/fs.safetensors", "--encoder", "--half"])
        for method in ["psp", "e4e", "restyle-psp", "e2style-2", "clcae"] {
            let name = method == "e2style-2" ? "e2style" : method
            try run(["convert", dir.path("\(method)/checkpoint/000001.pt"), "\(models)/\(name).safetensors", "--encoder", "--half"])
        }
        try FileManager.default.copyItem(atPath: dir.path("restyle-e4e/checkpoint/000001.pt"), toPath: "\(models)/restyle-e4e.pt")
        return (models, images)
    }

    static let methods = ["projector", "pti", "gani", "psp", "e4e", "restyle-psp", "restyle-e4e", "e2style", "fs", "clcae"]

    /// Rows of a CSV file after its header, split into fields.
    static func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Every method has its row with finite numbers, every edit its points, every plot its curves; the grids hold the
    /// inputs and each method; the ground truth of the testbed renders is used (counterfactual distances, classifier
    /// accuracy); GANI's pivot is the e4e file.
    @Test func quickEvaluationReportsEveryMethod() throws {
        let dir = try Scratch()
        let (models, _) = try Self.models(dir)
        let out = dir.path("report")
        let r = try CLI.run(["evaluate", "--quick", "--models", models, "--networks", Self.networks, "--out", out,
                             "--methods", "projector,pti,gani,psp,e4e,restyle_psp,restyle_e4e,e2style,fs,clcae,e2style:1,clcae:w+,clcae:w",
                             "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("| method | L2 | MSE | LPIPS |"), "\(r.stdout)")

        let rows = Self.methods + ["e2style:1", "clcae:w+", "clcae:w"]
        let reconstruction = try Self.rows("\(out)/reconstruction.csv")
        #expect(reconstruction.map { $0[0] } == rows)
        for row in reconstruction {
            // l2 ... fd and seconds are numbers; SSIM exists at 64 px, MS-SSIM does not (below 161 px).
            for (k, field) in row.enumerated() where [1, 2, 3, 4, 6, 7, 8, 9].contains(k) {
                #expect(Double(field)?.isFinite == true, "\(row[0]) field \(k) is \(field)")
            }
            #expect(row[5].isEmpty)
            let optimises = ["projector", "pti", "gani"].contains(row[0])
            #expect(optimises ? row[10].isEmpty : (Int(row[10]) ?? 0) > 0, "\(row[0]) parameters \(row[10])")
        }
        let editing = try Self.rows("\(out)/editing.csv")
        #expect(editing.count == rows.count * 2 * 3)
        for method in rows {
            for attribute in ["smile", "yaw"] {
                let points = editing.filter { $0[0] == method && $0[1] == attribute }
                #expect(points.map { Double($0[2])! } == [-1, 0, 1], "\(method) \(attribute)")
                for p in points {
                    for k in [3, 5, 6, 7] { #expect(Double(p[k])?.isFinite == true, "\(method) \(attribute) field \(k) is \(p[k])") }
                    #expect(p[2] == "0.0" ? p[4].isEmpty : Double(p[4]).map { (0...1).contains($0) } == true)
                }
                // At strength 0 the edit is the reconstruction: no change.
                let unedited = try #require(points.first { $0[2] == "0.0" })
                #expect(abs(Double(unedited[3])!) < 1e-5 && abs(Double(unedited[6])!) < 1e-5, "\(unedited)")
            }
        }
        for attribute in ["smile", "yaw"] {
            for plot in ["change", "identity", "others", "truth"] {
                let svg = try String(contentsOfFile: "\(out)/plot-\(attribute)-\(plot).svg", encoding: .utf8)
                #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count == rows.count + 1)
                #expect(!svg.contains("nan") && !svg.contains("inf"), "plot-\(attribute)-\(plot).svg")
            }
            let grid = try Image.read(path: "\(out)/edit-\(attribute).png")
            #expect(grid.width == 3 * 66 + 2 && grid.height == 14 * 66 + 2)
        }
        let grid = try Image.read(path: "\(out)/reconstructions.png")
        #expect(grid.width == 2 * 66 + 2 && grid.height == 14 * 66 + 2)
        // Figures: components and mixing for every row, interpolation for the eleven that tune no generator.
        for (name, columns, count) in [("components", 9, 13), ("mixing", 4, 13), ("interpolation", 5, 11)] {
            let figure = try Image.read(path: "\(out)/\(name).png")
            #expect(figure.width == columns * 66 + 2 && figure.height == count * 66 + 2, "\(name).png")
        }
        // CLCAE's w+ alone is another reconstruction than with its feature; E2Style's first stage another than both.
        let psnr = Dictionary(uniqueKeysWithValues: reconstruction.map { ($0[0], $0[6]) })
        #expect(psnr["clcae"] != psnr["clcae:w+"] && psnr["clcae:w+"] != psnr["clcae:w"] && psnr["e2style"] != psnr["e2style:1"],
                "\(psnr)")
        let html = try String(contentsOfFile: "\(out)/index.html", encoding: .utf8)
        for file in ["reconstructions.png", "edit-smile.png", "plot-yaw-identity.svg", "components.png", "mixing.png",
                     "interpolation.png"] { #expect(html.contains(file)) }
        let markdown = try String(contentsOfFile: "\(out)/report.md", encoding: .utf8)
        #expect(markdown.contains("The attribute classifier against the ground truth on the inputs: smile"))
        #expect(!markdown.contains("no e4e encoder given"), "GANI should take the e4e file as its pivot")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/report.json"))) as? [String: Any]
        #expect((json?["reconstruction"] as? [Any])?.count == rows.count)
        #expect(try !dir.files().contains { $0.hasSuffix(".partial") }, "the scratch folder was left behind")
    }

    /// `stylegan demo` on a models folder: every method on wild-split renders, the evaluation page titled as the demo
    /// with the generator's figures after it.
    @Test func demoShowsEveryMethodOnWildRenders() throws {
        let dir = try Scratch()
        let (models, _) = try Self.models(dir)
        let r = try CLI.run(["demo", "--models", models, "--networks", Self.networks, "--outdir", dir.path("demo"),
                             "--count", "2", "--steps", "2", "--samples", "200", "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        for method in Self.methods { #expect(r.stdout.contains("\(method) "), "\(method) missing from \(r.stdout)") }
        let html = try String(contentsOfFile: dir.path("demo/index.html"), encoding: .utf8)
        #expect(html.contains("<title>StyleGANKit demo</title>") && html.contains("<i>wild</i> split") && html.contains("ran 2 steps"))
        for file in ["seeds.png", "truncation.png", "mixing-seeds.png", "reconstructions.png", "edit-glasses.png",
                     "edit-eyesOpen.png", "components.png", "interpolation.png", "real-photo.png"] {
            #expect(html.contains(file) && FileManager.default.fileExists(atPath: dir.path("demo/\(file)")), "\(file)")
        }
        // The astronaut: aligned by dlib, inverted by e4e, the page saying it is out of the testbed's domain.
        #expect(html.contains("<h2>A real photo</h2>") && html.contains("out of its domain"))
        #expect(html.contains("face-recognition network puts the two"))
        let strip = try Image.read(path: dir.path("demo/real-photo.png"))
        #expect(strip.height > 0 && strip.width > strip.height)
        let reconstruction = try Self.rows(dir.path("demo/reconstruction.csv"))
        #expect(reconstruction.map { $0[0] } == Self.methods)
    }

    /// An evaluation killed after its first entry goes on from it when run again, with the uninterrupted run's
    /// figures; the scratch folder is gone once the report is complete.
    @Test func aKilledEvaluationResumes() throws {
        let dir = try Scratch()
        let (models, _) = try Self.models(dir)
        let arguments = ["evaluate", "--quick", "--models", models, "--networks", Self.networks, "--methods", "e4e,projector,psp",
                         "--threads", "1"]
        var r = try CLI.run(arguments + ["--out", dir.path("whole")])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(try CLI.kill(arguments + ["--out", dir.path("killed")], once: dir.path("killed.partial/entries/e4e.json")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("killed/report.md")))
        r = try CLI.run(arguments + ["--out", dir.path("killed")])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("e4e: from the previous run's results") && !r.stderr.contains("projector: from"), "\(r.stderr)")
        // Everything but the timing column is the uninterrupted run's.
        func measures(_ run: String) throws -> [[String]] {
            try Self.rows(dir.path("\(run)/reconstruction.csv")).map { Array($0[0..<9]) + [$0[10]] }
        }
        #expect(try measures("whole") == measures("killed"))
        #expect(try String(contentsOfFile: dir.path("whole/editing.csv"), encoding: .utf8)
            == String(contentsOfFile: dir.path("killed/editing.csv"), encoding: .utf8))
        #expect(!FileManager.default.fileExists(atPath: dir.path("killed.partial")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("killed/entries")))
    }

    /// A folder of images has no ground truth: the counterfactual distances and classifier accuracy are left out;
    /// bad settings and missing files fail before any work, naming the problem, and write nothing.
    @Test func imageFoldersAndBadInput() throws {
        let dir = try Scratch()
        let (models, images) = try Self.models(dir)
        var r = try CLI.run(["directions", "testbed", "--checkpoint", "\(models)/generator.safetensors", "--attributes", "smile,wings",
                             "--out", "\(models)/directions", "--classifier", "\(Self.networks)/attributes.safetensors"])
        #expect(r.status != 0 && r.stderr.contains("unknown attribute wings"), "\(r.stderr)")
        r = try CLI.run(["directions", "testbed", "--checkpoint", "\(models)/generator.safetensors", "--attributes", "smile",
                         "--samples", "64", "--probes", "16", "--out", "\(models)/directions", "--classifier", "\(Self.networks)/attributes.safetensors",
                         "--threads", "1"])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("interfacegan_smile.npy") && r.stdout.contains("validation accuracy")
            && r.stdout.contains("per deviation: attribute"), "\(r.stdout)")
        let sidecar = try DirectionFile.read("\(models)/directions/interfacegan_smile.npy").sidecar
        #expect(sidecar?.attributeChange?.isFinite == true && sidecar?.otherAttributesChange?.isFinite == true)
        let base = ["evaluate", "--quick", "--models", models, "--networks", Self.networks, "--threads", "1"]
        r = try CLI.run(base + ["--methods", "e4e", "--data", images, "--out", dir.path("folder")])
        try #require(r.status == 0, "\(r.stderr)")
        // The boundary file serves smile; yaw's is fitted.
        let report = try String(contentsOfFile: dir.path("folder/report.md"), encoding: .utf8)
        #expect(report.contains("| smile | interfacegan_smile.npy |") && report.contains("| yaw | fitted on 64 samples |"), "\(report)")
        let editing = try Self.rows(dir.path("folder/editing.csv"))
        #expect(editing.count == 6 && editing.allSatisfy { $0[7].isEmpty })
        #expect(!FileManager.default.fileExists(atPath: dir.path("folder/plot-smile-truth.svg")))
        #expect(!report.contains("against the ground truth"))

        let bad: [([String], String)] = [
            (["--methods", "psp,stylegan"], "unknown method stylegan"),
            (["--methods", "psp,psp"], "listed twice"),
            (["--methods", "psp:2"], "only e2style:N"),
            (["--methods", "e2style:0"], "must be in 1...100"),
            (["--strengths", "1,2"], "include 0"),
            (["--count", "1"], "at least 2"),
            (["--data", dir.path("nowhere")], "no such folder"),
            (["--data", "testbed:nosplit"], "the testbed splits"),
            (["--attributes", "smile,wings"], "unknown attribute wings"),
            (["--encoder", "psp"], "METHOD=PATH"),
            (["--methods", "psp", "--encoder", "psp=\(dir.path("missing.pt"))"], "missing.pt: no such file"),
            (["--methods", "fs", "--models", dir.path("data")], "no generator"),
            (["--methods", "fs", "--checkpoint", "\(models)/fs.safetensors"], "fs.safetensors"),
        ]
        for (arguments, message) in bad {
            r = try CLI.run(base + ["--out", dir.path("bad")] + arguments)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
        try FileManager.default.removeItem(atPath: "\(models)/clcae.safetensors")
        r = try CLI.run(base + ["--out", dir.path("bad"), "--methods", "psp,clcae"])
        #expect(r.status != 0 && r.stderr.contains("clcae needs an encoder file"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad")))
    }
}
