import ArgumentParser
import Checkpoints
import Editing
import Foundation
import Images
import Inversion
import Metrics
import StyleGAN
import Torch

/// `stylegan demo`: the toolkit's main job end to end on a generator, by default the small one shipped with it.
///
/// Renders a target, inverts it with the projector, edits the inversion along two SeFa directions and one
/// GANSpace direction, and writes `index.html` with the target, the reconstruction, the sweeps and the metrics;
/// the classic figures (seeds, truncation, style mixing) come along.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invert a rendered target, edit it (SeFa, GANSpace) and write an HTML page of the results."
    )

    @Option(help: "Generator checkpoint (default: the bundled 64x64 generator with random weights).")
    var checkpoint: String?

    @Option(help: "Output folder.")
    var outdir: OutputFolder = "demo"

    @Option(help: "Projector steps.")
    var steps: Int = 400

    @Option(help: "Mapped samples for the GANSpace PCA.")
    var samples: Int = 20_000

    @OptionGroup var runtime: RuntimeOptions

    /// The generator shipped in the package: seeded random weights, made with
    /// `stylegan random-generator --size 64 --style-dim 64 --n-mlp 4 --channels 64,64,48,32,32 --seed 2026`.
    static var bundledGenerator: String {
        Bundle.module.bundleURL.appendingPathComponent("Resources/demo-generator-64.safetensors").path
    }

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard samples >= 100 else { throw ValidationError("--samples must be at least 100") }
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
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
        try save(try imageGrid(loaded.seedSheet(Array(0..<8)).unbind(0).map { try $0.unsqueeze(0) }, columns: 4), "seeds.png")
        try save(try imageGrid(loaded.truncationSweep(seeds: Array(0..<4), psis: [1, 0.8, 0.6, 0.4, 0.2, 0]).unbind(0)
            .map { try $0.unsqueeze(0) }, columns: 6), "truncation.png")
        try save(try imageGrid(loaded.mixingGrid(sources: [10, 11, 12], destinations: [20, 21, 22], layers: 0..<min(4, g.nLatent))
            .unbind(0).map { try $0.unsqueeze(0) }, columns: 4), "mixing.png")

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
            <h2>The generator</h2>
            <h3>Seeds</h3><img src="seeds.png" alt="seeds">
            <h3>Truncation (rows: seeds; columns: psi 1 → 0)</h3><img src="truncation.png" alt="truncation sweep">
            <h3>Style mixing (top: sources of the coarse rows; left: destinations)</h3><img src="mixing.png" alt="mixing">
            <p>Made in \(String(format: "%.0f", seconds)) s.</p>
            </body></html>
            """
        let temporary = path + ".tmp"
        try html.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else { throw CLIError("\(path): cannot write") }
    }
}
