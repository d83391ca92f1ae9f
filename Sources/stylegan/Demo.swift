import ArgumentParser
import Foundation
import Images
import StyleGAN
import Torch

/// `stylegan demo`: the classic figures from a generator, by default the small one shipped with the tool.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a seed grid, a truncation sweep and a style-mixing grid."
    )

    @Option(help: "Generator checkpoint (default: the bundled 64x64 generator with random weights).")
    var checkpoint: String?

    @Option(help: "Output folder.")
    var outdir: String = "demo"

    @OptionGroup var runtime: RuntimeOptions

    /// The generator shipped in the package: seeded random weights, made with
    /// `stylegan random-generator --size 64 --style-dim 64 --n-mlp 4 --channels 64,64,48,32,32 --seed 2026`.
    static var bundledGenerator: String {
        Bundle.module.bundleURL.appendingPathComponent("Resources/demo-generator-64.safetensors").path
    }

    func run() throws {
        try runtime.start()
        let path = checkpoint ?? Demo.bundledGenerator
        let loaded = try GeneratorCheckpoint.load(path)
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        if checkpoint == nil {
            print("Note: the bundled generator has RANDOM weights (no trained model ships with the tool);")
            print("      the images show the pipeline working, not faces. Pass --checkpoint to use a real one.")
        }
        let seeds = Array(0..<8)
        let figures: [(String, Tensor, Int)] = [
            ("seeds.png", try loaded.seedSheet(seeds), 4),
            ("truncation.png", try loaded.truncationSweep(seeds: Array(0..<4), psis: [1, 0.8, 0.6, 0.4, 0.2, 0]), 6),
            ("mixing.png", try loaded.mixingGrid(sources: [10, 11, 12], destinations: [20, 21, 22],
                                                 layers: 0..<min(4, loaded.generator.nLatent)), 4),
        ]
        for (name, images, columns) in figures {
            let grid = try imageGrid(images.unbind(0).map { try $0.unsqueeze(0) }, columns: columns)
            try Image(tensor: grid).write(to: "\(outdir)/\(name)")
            print("wrote \(outdir)/\(name)")
        }
        print("Open \(outdir)/seeds.png, \(outdir)/truncation.png (rows: seeds; columns: psi 1 -> 0) and "
            + "\(outdir)/mixing.png (top row: sources of layers 0-3; first column: destinations).")
    }
}
