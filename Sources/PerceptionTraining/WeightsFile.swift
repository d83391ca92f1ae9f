import Checkpoints
import Torch

/// The shipped form of a trained perception network: its state dict in the official key layout, floating-point
/// tensors in float16, in safetensors with the metadata its Perception loader reads.
public enum WeightsFile {
    public static func write(_ network: Module, metadata: [String: String], to path: String) throws {
        try Safetensors.write(Safetensors.halved(network.stateDict().dictionary), metadata: metadata, to: path)
    }
}
