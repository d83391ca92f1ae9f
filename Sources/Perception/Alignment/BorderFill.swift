import Foundation
import Torch

/// The FFHQ script's padding for crops that reach past the photo: mirror the photo outwards, then blend the
/// mirrored band towards a blurred copy and towards the median colour, more strongly the further out it lies, so
/// the generator is not shown a sharp mirrored duplicate of the face.
enum BorderFill {
    /// Pads `pixels` [1, C, H, W] (0...255) by (left, top, right, bottom) and feathers the new border: NumPy
    /// `reflect` padding, then, with mask = how far into the padding a pixel lies (1 at the outer edge, <= 0 inside),
    ///
    ///     img += (gaussian_filter(img, qsize * 0.02) - img) * clip(3 mask + 1, 0, 1)
    ///     img += (median(img) - img) * clip(mask, 0, 1)
    ///
    /// and rounds to whole levels, as the script does before its 8-bit transform.
    static func pad(_ pixels: Tensor, left: Int, top: Int, right: Int, bottom: Int, blurSigma: Double) throws
        -> Tensor
    {
        let (height, width) = (pixels.size(2), pixels.size(3))
        var image = try pixels
            .indexSelect(2, mirrorIndices(count: height, before: top, after: bottom, edge: .excluded, pixels.device))
            .indexSelect(3, mirrorIndices(count: width, before: left, after: right, edge: .excluded, pixels.device))
        let mask = try ramp(count: width, before: left, after: right, pixels.device).unsqueeze(0)  // [1, W']
            .maximum(ramp(count: height, before: top, after: bottom, pixels.device).unsqueeze(1))  // [H', W']
        let blurred = try gaussianBlur(image, sigma: blurSigma)
        image = try image + (blurred - image) * (mask * 3 + 1).clamp(min: 0, max: 1)
        image = try image + (median(image) - image) * mask.clamp(min: 0, max: 1)
        return try image.round().clamp(min: 0, max: 255)
    }

    /// For each position along an axis of `count` pixels padded by `before` and `after`: 1 - (distance to the
    /// nearer padded edge) / (that side's padding), as float32, as the script's mask. A side with no padding
    /// does not feather.
    static func ramp(count: Int, before: Int, after: Int, _ device: Device) throws -> Tensor {
        let n = count + before + after
        let i = try Tensor.arange(0, Double(n), device: device)
        let fromStart = try before > 0 ? i / Double(before) : Tensor.full([n], .infinity, device: device)
        let fromEnd = try after > 0 ? (Double(n - 1) - i) / Double(after) : Tensor.full([n], .infinity, device: device)
        return try 1 - fromStart.minimum(fromEnd)
    }

    /// Whether mirroring repeats the edge pixel: NumPy's `reflect` (d c b | a b c d) excludes it, SciPy's
    /// `reflect` (= NumPy's `symmetric`, c b a | a b c) includes it.
    enum Edge { case excluded, included }

    /// Source indices for an axis of `count` pixels mirrored `before` and `after` it, any distance out (the pattern
    /// repeats, as NumPy's and SciPy's do).
    static func mirrorIndices(count: Int, before: Int, after: Int, edge: Edge, _ device: Device) throws -> Tensor {
        let period = edge == .excluded ? 2 * (count - 1) : 2 * count
        let indices = (-before..<(count + after)).map { i -> Int64 in
            guard period > 0 else { return 0 }
            let j = ((i % period) + period) % period
            guard j >= count else { return Int64(j) }
            return Int64(edge == .excluded ? period - j : period - 1 - j)
        }
        return try Tensor(indices).to(device: device)
    }

    /// `scipy.ndimage.gaussian_filter` over H and W of [1, C, H, W]: kernel exp(-x^2 / 2 sigma^2) normalised over
    /// |x| <= round(4 sigma), edges mirrored with the edge pixel repeated (SciPy's default `reflect`).
    static func gaussianBlur(_ image: Tensor, sigma: Double) throws -> Tensor {
        let radius = Int(4 * sigma + 0.5)
        guard radius > 0 else { return image }
        let taps = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = taps.reduce(0, +)
        let channels = image.size(1)
        let kernel = try Tensor(taps.map { $0 / total }).to(device: image.device, dtype: image.dtype)
        let (height, width) = (image.size(2), image.size(3))
        var x = try image.indexSelect(3, mirrorIndices(count: width, before: radius, after: radius, edge: .included,
                                                       image.device))
        x = try F.conv2d(x, kernel.reshape([1, 1, 1, 2 * radius + 1]).expand([channels, 1, 1, 2 * radius + 1]),
                         groups: channels)
        x = try x.indexSelect(2, mirrorIndices(count: height, before: radius, after: radius, edge: .included,
                                               image.device))
        return try F.conv2d(x, kernel.reshape([1, 1, 2 * radius + 1, 1]).expand([channels, 1, 2 * radius + 1, 1]),
                            groups: channels)
    }

    /// Per-channel median of [1, C, H, W] -> [1, C, 1, 1]; an even count averages the two middle values, as
    /// `np.median`.
    static func median(_ image: Tensor) throws -> Tensor {
        let channels = image.size(1)
        let n = image.count / channels
        let sorted = try image.reshape([channels, n]).sort(dim: 1).values
        let upper = try sorted.narrow(1, start: n / 2, length: 1)
        let middle = n % 2 == 1 ? upper : try (sorted.narrow(1, start: n / 2 - 1, length: 1) + upper) * 0.5
        return try middle.reshape([1, channels, 1, 1])
    }
}
