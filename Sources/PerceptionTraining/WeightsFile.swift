import Checkpoints
import Torch

/// The shipped form of a trained perception network: its state dict in the official key layout, floating-point
/// tensors in float16, in safetensors with the metadata its Perception loader reads.
public enum WeightsFile {
    public static func write(_ network: Module, metadata: [String: String], to path: String) throws {
        var tensors: [String: Tensor] = [:]
        for (key, tensor) in try network.stateDict().dictionary {
            tensors[key] = tensor.dtype.isFloatingPoint ? try tensor.to(device: .cpu, dtype: .float16) : tensor
        }
        try Safetensors.write(tensors, metadata: metadata, to: path)
    }
}
