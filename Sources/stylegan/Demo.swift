import ArgumentParser
import Checkpoints
import Editing
import Evaluation
import Foundation
import Images
import Inversion
import Metrics
import Perception
import StyleGAN
import Testbed
import Torch

/// `stylegan demo`: the toolkit's main job end to end.
///
/// With the trained testbed models (the default, `Models/testbed64`): held-out "in the wild" testbed renders
/// inverted by every method, edited (InterFaceGAN smile, eyes, glasses and pose; GANSpace and SeFa; F-space for
/// Feature-Style and CLCAE; mixing, interpolation) and scored, on one page with the generator's classic figures
/// (`EvaluationConfig.demo` through `Evaluator`). With `--checkpoint` (a user's generator, e.g. ffhq.pt), or when no
/// trained models are present, a rendered target is inverted with the projector and edited along SeFa and GANSpace.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invert, edit and score held-out testbed faces with every method; write an HTML page of the results."
    )

    @Option(help: "A generator of your own (e.g. ffhq.pt): the projector demo on it instead of the testbed models.")
    var checkpoint: String?

    @Option(help: "Folder of the trained testbed models (generator, encoders, directions).")
    var models = "Models/testbed64"

    @Option(help: "Folder of the testbed networks (attributes, lpips, identity, unet).")
    var networks = "Models/testbed"

    @Option(help: "Output folder.")
    var outdir: OutputFolder = "demo"

    @Option(parsing: .unconditional, help: "Optimisation steps (testbed demo: projector, PTI and GANI, default 50; projector demo: 400).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Testbed demo: held-out images.")
    var count = 4

    @Option(help: "Mapped samples for the GANSpace PCA.")
    var samples: Int = 20_000

    @OptionGroup var runtime: RuntimeOptions

    /// The generator shipped in the package: seeded random weights, made with
    /// `stylegan random-generator --size 64 --style-dim 64 --n-mlp 4 --channels 64,64,48,32,32 --seed 2026`.
    static var bundledGenerator: String {
        Bundle.module.bundleURL.appendingPathComponent("Resources/demo-generator-64.safetensors").path
    }

    func validate() throws {
        if let steps { guard steps >= 1 else { throw ValidationError("--steps must be at least 1") } }
        guard samples >= 100 else { throw ValidationError("--samples must be at least 100") }
        guard count >= 2 else { throw ValidationError("--count must be at least 2") }
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let (generator, files) = EvaluationModels.folder(models, networks: networks)
        if checkpoint == nil, let generator {
            try testbedDemo(files, generator: generator)
        } else {
            try generatorDemo()
        }
    }

    /// Every method on `count` wild-split renders with the trained testbed models.
    func testbedDemo(_ files: EvaluationModels, generator: String) throws {
        var files = files
        files.generator = generator
        var config = EvaluationConfig.demo
        config.count = count
        config.gridCount = count
        config.directionSamples = min(config.directionSamples, samples)
        if let steps { (config.steps, config.pivotSteps) = (steps, steps) }
        config.methods = config.methods.filter { !$0.method.needsEncoder || files.encoders[$0.method] != nil }
        let missing = EvaluationConfig.allMethods.filter { method in !config.methods.contains { $0.method == method } }
        let evaluator = try Evaluator(config: config, models: files)
        let images = try EvaluationImages.testbed(.wild, count: count, size: evaluator.size)
        let report = try outdir.writeAll { scratch in
            let report = try evaluator.run(images, folder: scratch, progress: StageLog().line)
            try Self.classicFigures(evaluator.generator) { image, name in try Image(tensor: image.clamp(min: -1, max: 1)).write(to: (scratch as NSString).appendingPathComponent(name)) }
            let intro = """
                <p>Held-out identities of the testbed's <i>wild</i> split (photo-like noise, blur and JPEG), inverted by \
                each method with the models in <code>\(files.generator)</code>'s folder, trained on the testbed's train \
                split (model cards beside them). The optimisation and tuning methods ran \(config.steps ?? 0) steps, not \
                their published counts. \(missing.isEmpty ? "" : "No encoder file for: \(missing.map(\.rawValue).joined(separator: ", ")).")</p>
                """
            let real = try realPhoto(files, generator: evaluator.generator, folder: scratch)
            try report.write(to: scratch, title: "StyleGANKit demo", intro: intro, appendix: real + Self.classicFiguresHTML)
            return report
        }
        for row in report.reconstruction {
            print(row.label.padding(toLength: 12, withPad: " ", startingAt: 0)
                + String(format: "PSNR %6.2f dB  LPIPS %.4f  ID %.4f  %.3g s/image", row.psnr, row.lpips, row.identity,
                         row.secondsPerImage))
        }
        print("open \(outdir.file("index.html"))")
    }

    /// The bundled real photo (the astronaut).
    static var astronaut: String { Bundle.module.bundleURL.appendingPathComponent("Resources/astronaut.png").path }

    /// A real photo through the whole job: aligned with dlib as the official script, inverted by e4e, edited along
    /// the smile direction and pasted back into the photo. Returns the page's section (a note instead when dlib's
    /// models or the e4e file are missing).
    func realPhoto(_ files: EvaluationModels, generator: LoadedGenerator, folder: String) throws -> String {
        let models = DlibModels.locate()
        guard FileManager.default.fileExists(atPath: models.landmarks68), let e4e = files.encoders[.e4e] else {
            return "<h2>A real photo</h2><p>Skipped: it needs dlib's model files (<code>make setup</code>) and the e4e file.</p>"
        }
        let started = Date()
        let photo = try Image.read(path: Self.astronaut)
        var settings = InversionSettings(method: .e4e)
        settings.align = false
        let pipeline = try InversionPipeline.load(settings, checkpoint: files.generator, encoder: e4e)
        let aligned = try FaceAligner(dlibModels: models).align(photo, name: "astronaut.png", outputSize: pipeline.size)
        let outcome = try pipeline.invert(aligned.image.tensor())
        let inversion = try pipeline.inversionFile(outcome)
        let editor = try InversionEditor(pipeline.generator, inversion: inversion, generatorSHA256: pipeline.generatorSHA256)
        var strip = [try aligned.image.tensor(), try editor.render(inversion)]
        var pasted: Tensor?
        if let path = files.direction(for: "smile") {
            let smile = try DirectionFile.read(path).direction
            let rows = try RowWeights.all(editor.generator.nLatent)
            for strength in [-1.5, 1.5] {
                let edit = try editor.render(editor.edited(DirectionEdit.apply(editor.wPlus, along: smile, strength: strength, rows: rows)))
                strip.append(edit)
                if strength > 0 { pasted = try PasteBack.paste(edit, into: photo.tensor(), quad: aligned.quad) }
            }
        }
        func save(_ image: Tensor, _ name: String) throws {
            try Image(tensor: image.clamp(min: -1, max: 1)).write(to: (folder as NSString).appendingPathComponent(name))
        }
        try save(imageGrid(strip, columns: strip.count), "real-photo.png")
        if let pasted { try save(pasted, "real-photo-pasted.png") }
        let scores = outcome.scores!
        var identity = ""
        if FileManager.default.fileExists(atPath: models.faceRecognition) {
            // dlib's own rule: two descriptors under 0.6 apart are the same person.
            let network = try DlibFaceRecognition.load(from: models.faceRecognition)
            let descriptors = try withNoGrad { try network(DlibFaceRecognition.idLossInput(Tensor.cat([strip[0], strip[1]]))) }
            let distance = try (descriptors[0] - descriptors[1]).square().sum().sqrt().item()
            identity = String(format: " dlib's face-recognition network puts the two %.2f apart (the same person is under "
                + "0.6): %@.", distance, distance < 0.6 ? "the same person" : "another person")
        }
        return """
            <h2>A real photo</h2>
            <p>The astronaut photo (Eileen Collins, NASA; public domain) aligned with dlib's detector and 68 landmarks as \
            the official script aligns it, inverted by e4e, and edited along the smile direction. The testbed generator \
            draws procedural faces only: a real face is out of its domain, so the reconstruction is the nearest testbed \
            face it can draw (PSNR \(String(format: "%.2f", scores.psnr)) dB), not the photo.\(identity) For a generator of real \
            faces the same steps are <code>stylegan align</code>, <code>stylegan invert --method e4e</code> and \
            <code>stylegan edit --paste-back</code>. \
            \(String(format: "%.1f", Date().timeIntervalSince(started))) s.</p>
            <p>Left to right: the aligned photo, e4e's reconstruction, smile -1.5 and +1.5.</p>
            <img src="real-photo.png" alt="the astronaut aligned, reconstructed and edited">
            \(pasted == nil ? "" : "<p>The +1.5 edit pasted back into the photo:</p><img src=\"real-photo-pasted.png\" alt=\"the edit pasted back\" style=\"max-width: 512px\">")
            """
    }

    /// The generator's classic figures: seeds, a truncation sweep, style mixing of seeds.
    static func classicFigures(_ loaded: LoadedGenerator, save: (Tensor, String) throws -> Void) throws {
        let g = loaded.generator
        try save(try imageGrid(loaded.seedSheet(Array(0..<8)).unbind(0).map { try $0.unsqueeze(0) }, columns: 4), "seeds.png")
        try save(try imageGrid(loaded.truncationSweep(seeds: Array(0..<4), psis: [1, 0.8, 0.6, 0.4, 0.2, 0]).unbind(0)
            .map { try $0.unsqueeze(0) }, columns: 6), "truncation.png")
        try save(try imageGrid(loaded.mixingGrid(sources: [10, 11, 12], destinations: [20, 21, 22], layers: 0..<min(4, g.nLatent))
            .unbind(0).map { try $0.unsqueeze(0) }, columns: 4), "mixing-seeds.png")
    }

    static let classicFiguresHTML = """
        <h2>The generator</h2>
        <h3>Seeds</h3><img src="seeds.png" alt="seeds">
        <h3>Truncation (rows: seeds; columns: psi 1 → 0)</h3><img src="truncation.png" alt="truncation sweep">
        <h3>Style mixing (top: sources of the coarse rows; left: destinations)</h3><img src="mixing-seeds.png" alt="mixing">
        """

    /// The projector on a rendered target of a user's generator (or the bundled random one), edited along SeFa and
    /// GANSpace.
    func generatorDemo() throws {
        let steps = self.steps ?? 400
        let started = Date()
        let path = checkpoint ?? Demo.bundledGenerator
        let loaded = try GeneratorCheckpoint.load(path)
        let sha = try SHA256.hex(ofFile: path)
        let g = loaded.generator
        try outdir.prepare()
        var page = DemoPage(random: checkpoint == nil)

        // 1. A target the generator can make, with random noise so that it is not trivially the const maps.
        // Clamped to [-1, 1], as a photo read from disk would be.
        let target = try loaded.render(g.z(seeds: [2026]), space: .z, truncation: 0.8, noise: .random(seed: 7)).images
            .clamp(min: -1, max: 1)
        try save(target, "target.png")

        // 2. Invert it with the projector (MSE: no perceptual backbone ships with the tool).
        var settings = InversionSettings(method: .projector)
        settings.losses = [.l2]
        settings.steps = steps
        settings.align = false
        let pipeline = try InversionPipeline(settings, generator: loaded, generatorPath: path, generatorSHA256: sha,
                                             encoder: nil, networks: LossNetworks(), aligner: nil)
        let progress = Progress(label: "projector")
        let outcome = try pipeline.invert(target, control: InversionControl(progress: { progress.update($0.step, $0.total) }))
        let inversion = try pipeline.inversionFile(outcome)
        try inversion.write(to: outdir.file("inversion.safetensors"))
        let editor = try InversionEditor(loaded, inversion: inversion, generatorSHA256: sha)
        try save(try editor.render(inversion), "reconstruction.png")
        let scores = outcome.scores!
        page.metrics = [("PSNR (dB)", scores.psnr), ("SSIM", scores.ssim ?? .nan), ("projector steps", Double(steps)),
                        ("final loss", outcome.lossCurve.last ?? .nan)]

        // 3. Edits: SeFa directions 0 and 1 over every layer, GANSpace component 0 on the coarse rows.
        let strengths = [-3.0, -2, -1, 0, 1, 2, 3]
        let sefa = try SeFa.factorize(g)
        let pca = try GANSpace.components(of: g, samples: samples, count: 4, seed: 0)
        let coarse = Array(0..<min(4, g.nLatent))
        let edits: [(String, LatentDirection, RowWeights)] = [
            ("sefa0", try LatentDirection(vector: sefa.directions.select(0, 0), label: "SeFa 0"), try .all(g.nLatent)),
            ("sefa1", try LatentDirection(vector: sefa.directions.select(0, 1), label: "SeFa 1"), try .all(g.nLatent)),
            ("ganspace0", try pca.direction(0, label: "GANSpace 0"), try RowWeights(rows: coarse, count: g.nLatent)),
        ]
        let w = try editor.wPlus
        for (name, direction, rows) in edits {
            let frames = try strengths.map { s in
                try editor.render(editor.edited(DirectionEdit.apply(w, along: direction, strength: s, rows: rows)))
            }
            try save(try imageGrid(frames, columns: strengths.count), "\(name).png")
            page.sweeps.append((name, direction.label, "\(name).png"))
        }

        // 4. The classic figures.
        try Self.classicFigures(loaded, save: save)

        page.seconds = Date().timeIntervalSince(started)
        try page.write(to: outdir.file("index.html"))
        if checkpoint == nil {
            print("Note: the bundled generator has RANDOM weights (no trained model ships with the tool); the pictures")
            print("      show the pipeline working, not faces. Pass --checkpoint to use a real generator.")
        }
        print(String(format: "inverted the target: PSNR %.2f dB, SSIM %.4f", page.metrics[0].1, page.metrics[1].1))
        print("open \(outdir.file("index.html"))")
    }

    private func save(_ image: Tensor, _ name: String) throws {
        try Image(tensor: image.clamp(min: -1, max: 1)).write(to: outdir.file(name))
    }
}

/// The demo's HTML page, written through a temporary file.
struct DemoPage {
    let random: Bool
    var metrics: [(String, Double)] = []
    var sweeps: [(file: String, label: String, image: String)] = []
    var seconds = 0.0

    func write(to path: String) throws {
        let rows = metrics.map { "<tr><td>\($0.0)</td><td>\(String(format: "%.4g", $0.1))</td></tr>" }.joined()
        let sweepHTML = sweeps.map {
            "<h3>\($0.label)</h3><p>strength −3 … +3</p><img src=\"\($0.image)\" alt=\"\($0.label) sweep\">"
        }.joined(separator: "\n")
        let note = random
            ? "<p class=note>The bundled generator has <b>random weights</b>: these pictures show the pipeline, not faces.</p>"
            : ""
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>StyleGANKit demo</title>
            <style>body{font-family:sans-serif;max-width:960px;margin:2em auto}img{image-rendering:pixelated;\
            max-width:100%}.pair img{width:256px;margin-right:1em}.note{background:#fff3cd;padding:.5em}\
            td{padding:.2em 1em}</style></head><body>
            <h1>StyleGANKit demo</h1>
            \(note)
            <h2>Inversion (projector, W+)</h2>
            <div class=pair><img src="target.png" alt="target"><img src="reconstruction.png" alt="reconstruction"></div>
            <p>Left: target. Right: reconstruction from <code>inversion.safetensors</code>.</p>
            <table>\(rows)</table>
            <h2>Edits of the inversion</h2>
            \(sweepHTML)
            \(Demo.classicFiguresHTML)
            <p>Made in \(String(format: "%.0f", seconds)) s.</p>
            </body></html>
            """
        let temporary = path + ".tmp"
        try html.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else { throw CLIError("\(path): cannot write") }
    }
}
