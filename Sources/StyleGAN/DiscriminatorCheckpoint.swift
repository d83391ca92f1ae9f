import Checkpoints
import Foundation
import Torch

/// Loads rosinality discriminators: `discriminator.pt`-style files (`{"d": state_dict, "args": Namespace(size, ...)}`),
/// rosinality training checkpoints (`{"g", "d", "g_ema", ...}`, the `d` entry) and bare state dicts. The
/// architecture is read off the weights and every key is loaded strictly.
public enum DiscriminatorCheckpoint {
    public static func load(_ path: String, device: Device = .cpu) throws -> Discriminator {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.io(file: path, message: "no such file") }
        let discriminator = try CheckpointError.naming(path) {
            let root = try TorchCheckpoint.load(path)
            guard case .dict(let top) = root else {
                throw CheckpointError.invalid(file: path, message: "expected a dict at the top level, found \(root.typeName)")
            }
            let keys = top.stringKeys
            let hasD = keys.contains("d")
            if !hasD, let generator = ["g_ema", "g", "state_dict"].first(where: keys.contains) {
                throw CheckpointError.invalid(file: path, message:
                    "holds '\(generator)' but no discriminator (a 'd' entry, or a bare discriminator state dict)")
            }
            let discriminator = try build(weights: (hasD ? try root["d"] : root).stateDict().dictionary)
            if hasD, keys.contains("args"), let size = try? root["args"].attribute("size").int(),
               size != discriminator.config.size
            {
                throw CheckpointError.invalid(file: path, message:
                    "args.size is \(size) but the discriminator's weights are for \(discriminator.config.size)x\(discriminator.config.size)")
            }
            return discriminator
        }
        if device != .cpu { try discriminator.to(device: device) }
        return discriminator
    }

    /// Builds the discriminator the weights describe and loads them strictly.
    public static func build(weights: [String: Tensor]) throws -> Discriminator {
        let config = try DiscriminatorConfig(inferringFrom: weights.mapValues(\.shape))
        let discriminator = try Discriminator(config)
        try discriminator.load(stateDict: weights, strict: true)
        return discriminator
    }
}
