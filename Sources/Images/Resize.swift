import Torch

/// Resizes a batch of images [N, C, H, W] (floating point) to `height` x `width`.
///
/// Shrinking uses bicubic interpolation with antialiasing (the PIL-style filter that torchvision's
/// `resize(antialias=True)` uses): it widens the kernel by the scale factor, so detail finer than the new
/// pixel grid is averaged away instead of aliasing into moiré. Enlarging has nothing to filter and uses
/// plain bicubic, which keeps edges sharper than bilinear. When one side shrinks and the other grows the
/// antialiased filter is used. Bicubic can overshoot the input range slightly near edges; `Image(tensor:)`
/// clamps, other consumers may want `clamp`. Images already of that size are returned as they are.
public func resize(_ images: Tensor, height: Int, width: Int) throws -> Tensor {
    let shape = images.shape
    guard shape.count == 4 else {
        throw ImageError(.invalid, "resize takes images [N, C, H, W], got shape \(shape)")
    }
    guard height > 0, width > 0 else {
        throw ImageError(.invalid, "cannot resize to \(height) x \(width)")
    }
    if shape[2] == height && shape[3] == width { return images }
    let shrinks = height < shape[2] || width < shape[3]
    return try F.interpolate(images, size: (height, width), mode: .bicubic, alignCorners: false, antialias: shrinks)
}

/// The centred `height` x `width` region of images [..., H, W], as a view sharing their storage.
///
/// When the margin is odd, the extra row or column is cut from the bottom or right.
public func centerCrop(_ images: Tensor, height: Int, width: Int) throws -> Tensor {
    let shape = images.shape
    guard shape.count >= 2 else {
        throw ImageError(.invalid, "center crop takes images [..., H, W], got shape \(shape)")
    }
    let (h, w) = (shape[shape.count - 2], shape[shape.count - 1])
    guard height > 0, height <= h, width > 0, width <= w else {
        throw ImageError(.invalid, "cannot crop \(height) x \(width) from \(h) x \(w)")
    }
    return try images.narrow(-2, start: (h - height) / 2, length: height)
        .narrow(-1, start: (w - width) / 2, length: width)
}

/// The largest centred square of images [..., H, W], as `centerCrop(_:height:width:)`.
public func centerCrop(_ images: Tensor) throws -> Tensor {
    let shape = images.shape
    guard shape.count >= 2 else {
        throw ImageError(.invalid, "center crop takes images [..., H, W], got shape \(shape)")
    }
    let side = min(shape[shape.count - 2], shape[shape.count - 1])
    return try centerCrop(images, height: side, width: side)
}
