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

    @Option(parsing: .unconditional, help: "Output size (power of two, 8-1024).")
    var size: Int = 64

    @Option(parsing: .unconditional, help: "Style (w) dimension.")
    var styleDim: Int = 128

    @Option(parsing: .unconditional, help: "Mapping layers.")
    var nMlp: Int = 4

    @Option(parsing: .unconditional,
            help: "Channels per resolution from 4x4 up, comma-separated (default: rosinality's plan, multiplier 2).")
    var channels: String?

    @Option(parsing: .unconditional, help: "Seed of the weights.")
    var seed: Int = 0

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
        guard (8...1024).contains(size), size.nonzeroBitCount == 1 else {
            throw ValidationError("--size must be a power of two in 8...1024, got \(size)")
        }
        try Bounds.check("--style-dim", styleDim, 1...4096)
        try Seed.check("--seed", seed)
        try Bounds.check("--n-mlp", nMlp, 1...32)
        let resolutions = size.trailingZeroBitCount - 1
        if let channels {
            let list = channels.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard list.count == resolutions, list.allSatisfy({ $0.map { (1...4096).contains($0) } == true }) else {
                throw ValidationError("--channels must be \(resolutions) whole numbers in 1...4096 (one per resolution "
                    + "from 4x4 to \(size)x\(size)), got '\(channels)'")
            }
        }
    }

    func run() throws {
        try runtime.start()
        let config: GeneratorConfig
        if let preset {
            config = GeneratorConfig.presets[preset]!
        } else if let channels {
            config = try GeneratorConfig(size: size, styleDim: styleDim, nMLP: nMlp,
                                         channels: channels.split(separator: ",").map { Int($0)! })
        } else {
            config = try GeneratorConfig(size: size, styleDim: styleDim, nMLP: nMlp)
        }
        let loaded = try LoadedGenerator.random(config, seed: UInt64(seed))
        try GeneratorCheckpoint.save(loaded, to: output)
        print("wrote \(output): random \(config.size)x\(config.size) generator, \(loaded.generator.parameterCount) parameters")
    }
}
