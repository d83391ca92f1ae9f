import ArgumentParser
import Checkpoints
import Encoders
import StyleGAN

/// `stylegan convert IN OUT.safetensors`: any supported generator file to our canonical safetensors, or with
/// `--encoder` any encoder file to the encoder container (tensors under their own keys, method and opts in the
/// metadata); `--half` for the shipped float16 form.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a generator (or, with --encoder, an encoder) checkpoint to safetensors.",
        discussion: """
            Training checkpoints keep what resuming needs (optimiser states, every RNG); the converted file keeps \
            only what inference reads: weights, latent_avg and (generators) the architecture or (encoders) the \
            method and opts.
            """
    )

    @Argument(help: "Input checkpoint (.pt, .pkl, .safetensors).")
    var input: String

    @Argument(help: "Output file; must end in .safetensors.")
    var output: String

    @Flag(help: "The input is an encoder file (pSp, e4e, ReStyle, E2Style, Feature-Style or CLCAE).")
    var encoder = false

    @Flag(help: "Store the weights as float16 (latent_avg stays float32); loading converts them back.")
    var half = false

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard output.lowercased().hasSuffix(".safetensors") else {
            throw ValidationError("output must be a .safetensors file, got \(output)")
        }
    }

    func run() throws {
        try OutputFiles.check([(output, input)], inputs: [input])
        try runtime.start()
        if encoder {
            let file = try CheckpointError.naming(input) { try EncoderCheckpointFile(path: input) }
            let (_, method) = try CheckpointError.naming(input) { try EncoderCheckpoint.identify(file) }
            try EncoderCheckpoint.save(file, to: output, half: half)
            print("wrote \(output) (\(method) encoder, \(file.weights.count) tensors\(half ? ", float16" : ""))")
            return
        }
        let loaded = try GeneratorCheckpoint.load(input)
        try GeneratorCheckpoint.save(loaded, to: output, half: half)
        print("wrote \(output) (\(loaded.generator.config.size)x\(loaded.generator.config.size), "
            + "\(loaded.generator.parameterCount) parameters, from \(loaded.layout))")
    }
}
