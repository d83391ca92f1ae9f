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

    @Option(help: "The generator an encoder file was trained with, for files that hold neither it nor latent_avg (Feature-Style).")
    var generator: String?

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.start()
        // Everything is read before the first line, so a failure prints its error alone.
        var lines = ["file".padded + checkpoint]
        // An encoder file (pSp-family containers hold their generator too) is described as one; anything else
        // must be a generator.
        if let encoder = try loadEncoder() {
            lines += encoder.summary.map { $0.padded + $1 }
            if let generator = encoder.generator {
                lines.append("generator:")
                lines += GeneratorSummary(generator).lines.map { ("  " + $0).padded + $1 }
            }
        } else {
            lines += GeneratorSummary(try GeneratorCheckpoint.load(checkpoint)).lines.map { $0.padded + $1 }
        }
        print(lines.joined(separator: "\n"))
    }

    /// The file's encoder; nil when it is no encoder checkpoint, while errors of one that is come through.
    private func loadEncoder() throws -> LoadedEncoder? {
        guard let file = try? EncoderCheckpointFile(path: checkpoint),
              let (_, method) = try? EncoderCheckpoint.identify(file)
        else { return nil }
        guard method == FeatureStyleEncoder.methodName, file.latentAvg == nil else { return try EncoderCheckpoint.load(file) }
        guard let generator else {
            throw CLIError("\(checkpoint): a Feature-Style encoder file holds no latent_avg; pass --generator G, the "
                + "generator it was trained with")
        }
        return try FeatureStyleEncoder.load(encoder: file, generator: generator)
    }
}

extension String {
    /// Left column of key-value output.
    var padded: String { self + String(repeating: " ", count: max(1, 14 - count)) }
}
