import ArgumentParser
import StyleGAN

/// `stylegan info --checkpoint F`: what a generator file holds.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint: resolution, channels, style_dim, n_latent, parameters, other contents."
    )

    @Option(help: "Generator checkpoint (.pt, .pkl, .safetensors).")
    var checkpoint: String

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.start()
        let loaded = try GeneratorCheckpoint.load(checkpoint)
        print("file".padded + checkpoint)
        for (key, value) in GeneratorSummary(loaded).lines { print(key.padded + value) }
    }
}

extension String {
    /// Left column of key-value output.
    var padded: String { self + String(repeating: " ", count: max(1, 14 - count)) }
}
