import Torch

extension InversionEncoder {
    /// An antialiased bilinear resize to inputSize x inputSize (see `InversionEncoder.prepareInput`).
    public func prepareInput(_ images: Tensor) throws -> Tensor {
        try resizeAsTorchvision(images, height: inputSize, width: inputSize, for: method)
    }
}

/// Images [N, 3, H, W] -> [N, 3, height, width] as torchvision's `Resize((height, width))` resamples the PIL images
/// the official inference scripts read: bilinear (align_corners false), and when shrinking with the kernel widened
/// by the scale factor (antialiased). Images of that size are returned as they are. The reference then rounds to
/// 8-bit levels before `ToTensor`; here the values stay float.
func resizeAsTorchvision(_ images: Tensor, height: Int, width: Int, for who: String) throws -> Tensor {
    guard images.rank == 4, images.size(1) == 3 else {
        throw TorchError("\(who): expected images [N, 3, H, W], got \(images.shape)")
    }
    if images.size(2) == height && images.size(3) == width { return images }
    return try F.interpolate(images, size: (height, width), mode: .bilinear, alignCorners: false, antialias: true)
}
