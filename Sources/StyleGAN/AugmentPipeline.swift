import Torch

/// rosinality's non-leaking ADA augmentation (`non_leaking.py`, after StyleGAN2-ADA's `bgc` pipeline): x-flip,
/// 90-degree rotations, integer translation, isotropic scaling, rotation, anisotropic scaling, fractional
/// translation, then brightness, contrast, luma flip, hue and saturation, each applied with probability p.
///
/// The output is differentiable in the images (to second order), so the discriminator's gradient reaches the
/// generator through it and R1 can be taken with respect to the un-augmented reals. Every random value comes from
/// the caller's generator; `apply` replays given transforms.
public enum AugmentPipeline {
    /// Augments `images` [N, 3, H, W] with probability `p`: the augmented images and the transforms used.
    public static func augment(_ images: Tensor, p: Double, generator: Torch.Generator) throws
        -> (images: Tensor, transforms: AugmentTransforms)
    {
        try checkImages(images)
        let transforms = try AugmentTransforms.sample(p: p, batch: images.size(0), height: images.size(2),
                                                      width: images.size(3), generator: generator)
        return (try apply(images, transforms), transforms)
    }

    /// The geometric transform, then the colour transform, of `transforms` applied to `images` [N, 3, H, W].
    public static func apply(_ images: Tensor, _ transforms: AugmentTransforms) throws -> Tensor {
        try checkImages(images)
        guard transforms.geometric.size(0) == images.size(0) else {
            throw TorchError("augmentation: \(transforms.geometric.size(0)) transforms for \(images.size(0)) images")
        }
        let moved = try AugmentGeometry.apply(images, matrix: transforms.geometric)
        return try applyColor(moved, transforms.color)
    }

    /// images [N, 3, H, W], matrix [N, 4, 4] -> M (r, g, b, 1) per pixel, the first three rows.
    static func applyColor(_ images: Tensor, _ matrix: Tensor) throws -> Tensor {
        let n = images.size(0)
        let m = try matrix.to(device: images.device, dtype: images.dtype)
        let linear = try m.slice(1, 0, 3).slice(2, 0, 3).transpose(1, 2).reshape([n, 1, 3, 3])
        let offset = try m.slice(1, 0, 3).select(2, 3).reshape([n, 1, 1, 3])
        return try (images.permute([0, 2, 3, 1]).matmul(linear) + offset).permute([0, 3, 1, 2])
    }

    private static func checkImages(_ images: Tensor) throws {
        guard images.rank == 4, images.size(1) == 3, images.size(0) > 0 else {
            throw TorchError("augmentation: expected images [N, 3, H, W], got \(images.shape)")
        }
        guard images.size(2) >= 2, images.size(3) >= 2 else {
            throw TorchError("augmentation: images must be at least 2x2 for reflect padding, got \(images.shape)")
        }
    }
}
