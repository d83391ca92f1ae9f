import Checkpoints
import Foundation
import Torch

/// Reading MoCo's published weights into `MoCoResNet50`.
extension MoCoResNet50 {
    /// Where the query encoder sits in MoCo's training checkpoints (`encoder_q` inside DistributedDataParallel's
    /// `module`); the key encoder `encoder_k` and the queue beside it are not used.
    public static let encoderPrefix = "module.encoder_q."

    /// Loads the encoder from a file: `moco_v2_800ep_pretrain.pt` (a `torch.save` dict whose `state_dict` holds
    /// `module.encoder_q.*`), or a bare torchvision-named state dict as `torch.save` or `.safetensors`.
    public func load(checkpoint path: String) throws {
        do {
            let weights: StateDict
            if (path as NSString).pathExtension.lowercased() == "safetensors" {
                weights = try Safetensors.read(path).tensors
            } else {
                let root = try TorchCheckpoint.load(path)
                let wrapped = if case .dict(let top) = root { top["state_dict"] != nil } else { false }
                weights = try (wrapped ? root["state_dict"] : root).stateDict()
            }
            try loadEncoder(weights)
        } catch let error as CheckpointError {
            throw error.naming(path)
        } catch let error as StateDictError {
            throw TorchError("\(path): \(error)")
        }
    }

    /// Loads the encoder from a MoCo `state_dict` (only `module.encoder_q.*` is read, prefix removed) or from a
    /// torchvision-named one. The head (`fc.*`: MoCo v2's `fc.0`/`fc.2`, or torchvision's classifier) is ignored, as
    /// the reference loss drops it; every other key must match the trunk, and nothing is copied unless all do.
    public func loadEncoder(_ stateDict: StateDict) throws {
        let prefix = MoCoResNet50.encoderPrefix
        let wrapped = stateDict.names.contains { $0.hasPrefix(prefix) }
        var trunk = StateDict()
        for (name, tensor) in stateDict {
            guard !wrapped || name.hasPrefix(prefix) else { continue }
            let key = wrapped ? String(name.dropFirst(prefix.count)) : name
            if !key.hasPrefix("fc.") { trunk[key] = tensor }
        }
        try load(stateDict: trunk)
    }
}
