import Checkpoints
import Foundation
import Torch

/// Reading the FID weights into `FIDInceptionV3`.
extension FIDInceptionV3 {
    /// The network with the weights of `path`: pytorch-fid's `pt_inception-2015-12-05-6726825d.pth` (a plain
    /// `torch.save` state dict), or the same keys as `.safetensors`.
    public convenience init(weights path: String, dtype: DType = .float32, device: Device = .cpu) throws {
        try self.init(dtype: dtype, device: device)
        try load(weights: path)
    }

    /// Loads the weights file at `path` (see `init(weights:)`).
    public func load(weights path: String) throws {
        do {
            let weights = if (path as NSString).pathExtension.lowercased() == "safetensors" {
                try Safetensors.read(path).tensors
            } else {
                try TorchCheckpoint.load(path).stateDict()
            }
            try loadWeights(weights)
        } catch let error as CheckpointError {
            throw error.naming(path)
        } catch let error as StateDictError {
            throw TorchError("\(path): \(error)")
        }
    }

    /// Loads a state dict in torchvision's Inception3 naming. The classifier (`fc.*`, 1008 classes in the FID file)
    /// is ignored; every other key must match, and nothing is copied unless all do. Files without
    /// `num_batches_tracked` (older PyTorch) load too.
    public func loadWeights(_ stateDict: StateDict) throws {
        try load(stateDict: StateDict(stateDict.filter { !$0.name.hasPrefix("fc.") }.map { ($0.name, $0.tensor) }))
    }
}
