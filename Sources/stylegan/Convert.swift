import ArgumentParser
import StyleGAN

/// `stylegan convert IN OUT.safetensors`: any supported generator file to our canonical safetensors.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a generator checkpoint to safetensors (weights, latent_avg, architecture)."
    )

    @Argument(help: "Input checkpoint (.pt, .pkl, .safetensors).")
    var input: String

    @Argument(help: "Output file; must end in .safetensors.")
    var output: String

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard output.lowercased().hasSuffix(".safetensors") else {
            throw ValidationError("output must be a .safetensors file, got \(output)")
        }
    }

    func run() throws {
        try OutputFiles.check([(output, input)], inputs: [input])
        try runtime.start()
        let loaded = try GeneratorCheckpoint.load(input)
        try GeneratorCheckpoint.save(loaded, to: output)
        print("wrote \(output) (\(loaded.generator.config.size)x\(loaded.generator.config.size), "
            + "\(loaded.generator.parameterCount) parameters, from \(loaded.layout))")
    }
}
