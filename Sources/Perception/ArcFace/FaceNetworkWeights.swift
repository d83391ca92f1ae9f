import Checkpoints
import Foundation
import Torch

/// Reads the weight files the face networks are published as (`model_ir_se50.pth`, arcface_torch `backbone.pth`,
/// `79999_iter.pth`, E2Style's parser), so every network's `load(from:)` is one strict load.
enum FaceNetworkWeights {
    /// Loads `path` into `network` with every key required; a file that does not fit fails naming the file and
    /// listing all missing, unexpected and mis-shaped keys at once.
    ///
    /// Takes `.safetensors` and `torch.save` files holding a bare state dict or one under `state_dict`; keys saved
    /// through `DataParallel` (all under `module.`) lose that prefix.
    static func load<Network: Module>(_ network: Network, from path: String, name: String) throws -> Network {
        try load(from: path, name: name) { _ in network }
    }

    /// As `load(_:from:name:)`, for a network whose shape `build` reads from the file's weights (its widths).
    static func load<Network: Module>(from path: String, name: String,
                                      build: ([String: Tensor]) throws -> Network) throws -> Network
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.io(file: path, message: "no such file")
        }
        let network: Network
        do {
            let weights = try stateDict(at: path)
            network = try build(weights)
            try network.load(stateDict: weights, strict: true)
        } catch let error as CheckpointError {
            throw error.naming(path)
        } catch let error as StateDictError {
            throw CheckpointError.invalid(file: path, message: "not a \(name) state dict.\n\(error.description)")
        }
        return network
    }

    private static func stateDict(at path: String) throws -> [String: Tensor] {
        var weights: [String: Tensor]
        if path.lowercased().hasSuffix(".safetensors") {
            weights = try Safetensors.read(path).tensors.dictionary
        } else {
            var root = try TorchCheckpoint.load(path)
            if case .dict(let top) = root, let inner = top["state_dict"] { root = inner }
            weights = try root.stateDict().dictionary
        }
        let prefix = "module."
        if !weights.isEmpty, weights.keys.allSatisfy({ $0.hasPrefix(prefix) }) {
            weights = Dictionary(uniqueKeysWithValues: weights.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        }
        return weights
    }
}
