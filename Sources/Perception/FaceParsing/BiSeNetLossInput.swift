import Torch

extension BiSeNet {
    /// The Feature-Style encoder's view of a generated image for this net (its `stylegan_to_classifier`):
    /// [-1, 1] to [0, 1] (clamped), bilinear resize without align_corners, ImageNet mean/std.
    /// [N, 3, H, W] -> [N, 3, size, size]; the loss uses 512.
    public static func lossInput(_ images: Tensor, size: Int = 512) throws -> Tensor {
        let shape = images.shape
        guard shape.count == 4, shape[1] == 3 else {
            throw TorchError("BiSeNet.lossInput: expected images [N, 3, H, W], got \(shape)")
        }
        let unit = try (images * 0.5 + 0.5).clamp(min: 0, max: 1)
        let resized = try F.interpolate(unit, size: (size, size), mode: .bilinear, alignCorners: false)
        let mean = try Tensor([Float(0.485), 0.456, 0.406], shape: [1, 3, 1, 1])
            .to(device: images.device, dtype: images.dtype)
        let std = try Tensor([Float(0.229), 0.224, 0.225], shape: [1, 3, 1, 1])
            .to(device: images.device, dtype: images.dtype)
        return try (resized - mean) / std
    }
}
