import ArgumentParser
import Encoders
import StyleGAN

/// `stylegan info --checkpoint F`: what a generator file holds.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a generator or encoder checkpoint: method, backbone, resolution, channels, style_dim, n_latent, parameters."
    )

    @Option(help: "Generator or encoder checkpoint (.pt, .pkl, .safetensors).")
    var checkpoint: String

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.start()
        print("file".padded + checkpoint)
        // An encoder file (pSp-family containers hold their generator too) is described as one; anything else
        // must be a generator.
        if let encoder = try? EncoderCheckpoint.load(checkpoint) {
            for (key, value) in encoder.summary { print(key.padded + value) }
            if let generator = encoder.generator {
                print("generator:")
                for (key, value) in GeneratorSummary(generator).lines { print(("  " + key).padded + value) }
            }
            return
        }
        let loaded = try GeneratorCheckpoint.load(checkpoint)
        for (key, value) in GeneratorSummary(loaded).lines { print(key.padded + value) }
    }
}

extension String {
    /// Left column of key-value output.
    var padded: String { self + String(repeating: " ", count: max(1, 14 - count)) }
}
