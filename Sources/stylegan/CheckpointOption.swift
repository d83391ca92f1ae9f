import ArgumentParser
import Checkpoints
import StyleGAN
import Torch

/// `--checkpoint` for commands that render with a generator file.
struct CheckpointOption: ParsableArguments {
    @Option(help: "Generator checkpoint (.pt, .pkl, .safetensors).")
    var checkpoint: String

    func load(device: Device = .cpu) throws -> LoadedGenerator {
        try GeneratorCheckpoint.load(checkpoint, device: device)
    }

    /// The file's SHA-256, which ties inversions and directions to it.
    func sha256() throws -> String { try SHA256.hex(ofFile: checkpoint) }
}
