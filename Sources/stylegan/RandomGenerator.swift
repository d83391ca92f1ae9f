import ArgumentParser
import StyleGAN
import Torch

/// `stylegan random-generator`: a generator with random weights, for tests, benchmarks and the demo.
struct RandomGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "random-generator",
        abstract: "Write a StyleGAN2 generator with seeded random weights (not a trained model).",
        discussion: "Presets: \(GeneratorConfig.presets.keys.sorted().joined(separator: ", ")); or give --size etc."
    )

    @Option(help: "A named configuration.")
    var preset: String?

    @Option(help: "Output size (power of two, 8-1024).")
    var size: Int = 64

    @Option(help: "Style (w) dimension.")
    var styleDim: Int = 128

    @Option(help: "Mapping layers.")
    var nMlp: Int = 4

    @Option(help: "Channels per resolution from 4x4 up, comma-separated (default: rosinality's plan, multiplier 2).")
    var channels: String?

    @Option(help: "Seed of the weights.")
    var seed: UInt64 = 0

    @Argument(help: "Output .safetensors file.")
    var output: String

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard output.lowercased().hasSuffix(".safetensors") else {
            throw ValidationError("output must be a .safetensors file, got \(output)")
        }
        if let preset, GeneratorConfig.presets[preset] == nil {
            throw ValidationError("unknown preset \(preset); known: \(GeneratorConfig.presets.keys.sorted().joined(separator: ", "))")
        }
    }

    func run() throws {
        try runtime.start()
        let config: GeneratorConfig
        if let preset {
            config = GeneratorConfig.presets[preset]!
        } else if let channels {
            let list = channels.split(separator: ",").compactMap { Int($0) }
            config = try GeneratorConfig(size: size, styleDim: styleDim, nMLP: nMlp, channels: list)
        } else {
            config = try GeneratorConfig(size: size, styleDim: styleDim, nMLP: nMlp)
        }
        let loaded = try LoadedGenerator.random(config, seed: seed)
        try GeneratorCheckpoint.save(loaded, to: output)
        print("wrote \(output): random \(config.size)x\(config.size) generator, \(loaded.generator.parameterCount) parameters")
    }
}
