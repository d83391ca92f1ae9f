import Torch

/// pSp's non-image inputs (`--label_nc`, which its scripts set with `--input_nc` to the same count): sketches
/// (`label_nc` 1, `SketchToImageTransforms`) and segmentation maps stored as 8-bit gray images whose values are
/// class ids (CelebAMask-HQ's, the testbed's masks), turned into one-hot maps as pSp's `ToOneHot` then `ToTensor` do.
public enum LabelMaps {
    /// Sketches as the loader gives them ([N, 3, H, W] in [-1, 1]) -> [N, 1, H, W] in [0, 1]: pSp reads them as
    /// gray (`convert('L')`) and does not normalise them (`ToTensor` only).
    public static func sketch(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.size(1) == 3 else {
            throw TorchError("sketches must be images [N, 3, H, W], got \(images.shape)")
        }
        let weights = try Tensor([Float(0.299), 0.587, 0.114]).view([1, 3, 1, 1]).to(device: images.device)
        return try ((images + 1) / 2 * weights).sum([1], keepdim: true)
    }

    /// Gray label images as the data loader gives them, [N, 3, H, W] in [-1, 1] (v / 255 · 2 - 1), -> one-hot
    /// [N, classes, H, W] of 0 and 1. Throws for a pixel whose id is not below `classes`, or for values between ids
    /// (a map resized with interpolation).
    public static func oneHot(_ images: Tensor, classes: Int) throws -> Tensor {
        guard images.rank == 4, images.size(1) >= 1 else {
            throw TorchError("label maps must be images [N, C, H, W], got \(images.shape)")
        }
        let values = try (images.select(1, 0) + 1) * 127.5  // [N, H, W]
        let ids = try values.round()
        guard try (values - ids).abs().max().item() < 0.01 else {
            throw TorchError("label maps hold values between class ids: they were resized with interpolation; "
                + "store them at the encoder's input size (or resize them with nearest-neighbour sampling)")
        }
        let highest = try ids.max().item()
        guard highest < Double(classes) else {
            throw TorchError("a label map holds class \(Int(highest)), not below the \(classes) classes (label_nc)")
        }
        return try Tensor.stack((0..<classes).map { try ids.eq(Double($0)).to(dtype: .float32) }, dim: 1)
    }
}
