import Testbed
import Torch

/// face-parsing.PyTorch's training augmentation on rendered batches: a horizontal flip with probability 0.5
/// that also swaps the left and right classes (brows, eyes, ears), a zoom by a scale drawn from `scales`
/// followed by a random crop back to the render size (one scale and crop per batch), and colour jitter of
/// brightness, contrast and saturation by factors in [1 − a, 1 + a] (per image). Every draw comes from the
/// generator passed in, so a seeded run is reproducible.
public struct ParserAugmentation: Codable, Equatable, Sendable {
    public var flip: Bool
    /// Zoom factors ≥ 1; `[1]` for none.
    public var scales: [Double]
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double

    public init(flip: Bool, scales: [Double], brightness: Double, contrast: Double, saturation: Double) {
        self.flip = flip
        self.scales = scales
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
    }

    /// Flip, zoom up to 1.5x and face-parsing.PyTorch's jitter of 0.5 (its zooms below 1 and above 1.5 are left out:
    /// the renders are already framed as aligned portraits).
    public static let standard = ParserAugmentation(flip: true, scales: [1, 1.25, 1.5], brightness: 0.5,
                                                    contrast: 0.5, saturation: 0.5)
    public static let none = ParserAugmentation(flip: false, scales: [1], brightness: 0, contrast: 0, saturation: 0)

    public func validate() throws {
        guard !scales.isEmpty, scales.allSatisfy({ $0 >= 1 }),
              [brightness, contrast, saturation].allSatisfy({ $0 >= 0 && $0 <= 1 })
        else {
            throw TorchError("parser augmentation: scales must be ≥ 1 and jitter amounts in [0, 1], got \(self)")
        }
    }

    /// The class each class becomes in a mirrored image: left and right brows, eyes and ears trade places.
    public static let mirroredClasses: [FaceClass] = FaceClass.allCases.map {
        switch $0 {
        case .leftBrow: .rightBrow
        case .rightBrow: .leftBrow
        case .leftEye: .rightEye
        case .rightEye: .leftEye
        case .leftEar: .rightEar
        case .rightEar: .leftEar
        default: $0
        }
    }

    /// Mirrors images [N, 3, S, S] and masks [N, S, S] (int64 class ids) left to right, swapping left/right classes.
    public static func mirrored(images: Tensor, masks: Tensor) throws -> (images: Tensor, masks: Tensor) {
        let table = try Tensor(mirroredClasses.map { Int64($0.rawValue) }, shape: [mirroredClasses.count])
            .to(device: masks.device)
        let swapped = try table.indexSelect(0, masks.flatten()).reshape(masks.shape)
        return (try images.flip([3]), try swapped.flip([2]))
    }

    /// images [N, 3, S, S] in [-1, 1], masks [N, S, S] int64 -> the same shapes, augmented.
    public func apply(images: Tensor, masks: Tensor, generator: Generator) throws -> (images: Tensor, masks: Tensor) {
        let n = images.size(0), size = images.size(2)
        var x = images, y = masks
        if flip {
            // Each image independently: pick it from the batch or from its mirror.
            let (flippedX, flippedY) = try Self.mirrored(images: x, masks: y)
            let picks = try Tensor.rand([n], generator: generator).floats()
            let index = try Tensor((0..<n).map { Int64(picks[$0] < 0.5 ? $0 + n : $0) }, shape: [n]).to(device: x.device)
            x = try Tensor.cat([x, flippedX], dim: 0).indexSelect(0, index)
            y = try Tensor.cat([y, flippedY], dim: 0).indexSelect(0, index)
        }
        let draws = try Tensor.rand([3], dtype: .float64, generator: generator).doubles()
        let scale = scales[min(Int(draws[0] * Double(scales.count)), scales.count - 1)]
        let zoomed = Int((Double(size) * scale).rounded())
        if zoomed > size {
            let top = min(Int(draws[1] * Double(zoomed - size + 1)), zoomed - size)
            let left = min(Int(draws[2] * Double(zoomed - size + 1)), zoomed - size)
            x = try F.interpolate(x, size: (zoomed, zoomed), mode: .bilinear, alignCorners: false)
                .narrow(2, start: top, length: size).narrow(3, start: left, length: size)
            y = try F.interpolate(y.unsqueeze(1).to(dtype: .float32), size: (zoomed, zoomed), mode: .nearest)
                .narrow(2, start: top, length: size).narrow(3, start: left, length: size).squeeze(1).to(dtype: .int64)
        }
        return (try jittered(x, generator: generator), y)
    }

    /// Brightness, contrast and saturation as torchvision's ColorJitter adjusts them, on [0, 1] colours.
    func jittered(_ images: Tensor, generator: Generator) throws -> Tensor {
        guard brightness > 0 || contrast > 0 || saturation > 0 else { return images }
        let n = images.size(0)
        func factors(_ amount: Double) throws -> Tensor {
            try (Tensor.rand([n, 1, 1, 1], generator: generator) * (2 * amount) + (1 - amount)).to(device: images.device)
        }
        let weights = try Tensor([Float(0.299), 0.587, 0.114], shape: [1, 3, 1, 1]).to(device: images.device)
        func gray(_ x: Tensor) throws -> Tensor { try (x * weights).sum([1], keepdim: true) }  // [N, 1, S, S]
        var x = try images * 0.5 + 0.5
        x = try (x * factors(brightness)).clamp(min: 0, max: 1)
        let mean = try gray(x).mean([1, 2, 3], keepdim: true)
        x = try ((x - mean) * factors(contrast) + mean).clamp(min: 0, max: 1)
        let luminance = try gray(x)
        x = try ((x - luminance) * factors(saturation) + luminance).clamp(min: 0, max: 1)
        return try x * 2 - 1
    }
}
