import Foundation
import Torch

/// pSp's super-resolution task (`dataset_type` ffhq_super_resolution, `--resize_factors`): the encoder sees the
/// target shrunk by a factor drawn per image from the list and enlarged back, and learns to invert the full image.
///
/// The source transform as pSp's `SuperResTransforms` builds it from `datasets/augmentations.py`: `BicubicDownSample`
/// (the a = -0.5 bicubic kernel over 4 · factor taps, reflect padding, one strided pass per axis) on the image in
/// [0, 1], clamped; `ToPILImage` (8-bit, truncating); `Resize((S, S))` back up (bilinear, 8-bit). Here the PIL steps
/// are their tensor equivalents: truncation to 1/255 steps, bilinear enlargement (half-pixel centres), rounding to
/// 1/255 steps.
public struct SuperResolution: Codable, Equatable, Sendable {
    /// pSp's default list.
    public static let defaultFactors = [1, 2, 4, 8, 16, 32]

    public let factors: [Int]

    /// Factors from pSp's comma-separated `--resize_factors` ("1,2,4"), each in 1...64.
    public init(factors text: String) throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let factors = parts.compactMap { Int($0) }
        guard factors.count == parts.count, !factors.isEmpty,
              factors.allSatisfy({ (1...64).contains($0) })
        else {
            throw EncoderTrainingError("--resize_factors must list whole factors in 1...64, like 1,2,4,8,16,32; got \"\(text)\"")
        }
        self.factors = factors
    }

    /// The sources of targets [N, 3, S, S] in [-1, 1]: each shrunk by a factor drawn from `factors` with `generator`
    /// and enlarged back, [N, 3, S, S] in [-1, 1]. S must be a multiple of every factor.
    public func sources(_ targets: Tensor, generator: Torch.Generator) throws -> Tensor {
        let side = targets.size(2)
        guard targets.rank == 4, targets.size(1) == 3, targets.size(3) == side,
              factors.allSatisfy({ side % $0 == 0 && side / $0 >= 1 })
        else {
            throw EncoderTrainingError("super-resolution needs square RGB images whose side divides by every factor "
                + "\(factors); got \(targets.shape)")
        }
        let draws = try Tensor.randint(0, factors.count, [targets.size(0)], generator: generator)
        var out: [Tensor] = []
        for n in 0..<targets.size(0) {
            let factor = factors[try draws.select(0, n).itemInt()]
            let image = try (targets.slice(0, n, n + 1) + 1) / 2  // [1, 3, S, S] in [0, 1]
            let small = try Self.bicubicDownSample(image, factor: factor).clamp(min: 0, max: 1)
            let stored = try (small * 255).floor() / 255  // ToPILImage: mul(255).byte()
            let large = try F.interpolate(stored, size: (side, side), mode: .bilinear, alignCorners: false)
            out.append(try ((large * 255).round() / 255) * 2 - 1)
        }
        return try Tensor.cat(out)
    }

    /// pSp's `BicubicDownSample(factor)`: [N, 3, H, W] -> [N, 3, H / factor, W / factor].
    public static func bicubicDownSample(_ x: Tensor, factor: Int) throws -> Tensor {
        let size = factor * 4
        func bicubic(_ v: Double, a: Double = -0.5) -> Double {
            let t = abs(v)
            if t <= 1 { return (a + 2) * t * t * t - (a + 3) * t * t + 1 }
            if t < 2 { return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a }
            return 0
        }
        let half = Double(size / 2)
        var taps = (0..<size).map { Float(bicubic((Double($0) - half + 0.5) / Double(factor))) }
        let sum = taps.reduce(0, +)
        taps = taps.map { $0 / sum }
        let kernel = try Tensor(taps).to(device: x.device)
        let vertical = try kernel.reshape([1, 1, size, 1]).expand([3, 1, size, 1]).contiguous()
        let horizontal = try kernel.reshape([1, 1, 1, size]).expand([3, 1, 1, size]).contiguous()
        let pad = max(size - factor, 0)
        var h = try x.pad([0, 0, pad / 2, pad - pad / 2], mode: .reflect)
        h = try F.conv2d(h, vertical, stride: (factor, 1), groups: 3)
        h = try h.pad([pad / 2, pad - pad / 2, 0, 0], mode: .reflect)
        return try F.conv2d(h, horizontal, stride: (1, factor), groups: 3)
    }
}
