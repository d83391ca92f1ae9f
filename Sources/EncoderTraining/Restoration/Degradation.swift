import Torch

/// E2Style's restoration tasks, as its `ImagesDataset` degrades each training image for the encoder on the fly
/// (`--dataset_type`): the target is the image, the source its degraded copy, both flipped together.
///
///     ffhq_colorization  gray: OpenCV's BGR2GRAY applied to the RGB array (so Y = 0.299 B + 0.587 G + 0.114 R,
///                        rounded), repeated into three channels
///     ffhq_denoise       with probability 1/2 Gaussian noise of variance 0.01 on [0, 1] (skimage's `random_noise`,
///                        clipped, `img_as_ubyte`), else salt and pepper (each value replaced with probability 0.05,
///                        by 1 or 0 alike)
///     ffhq_inpainting    a black triangle with corners (35 or 220, 35), (35 or 70, 220) and (that + 150, 220) in a
///                        256-pixel image (`cv2.fillConvexPoly`), scaled to the image's side
///
/// Every step works on 8-bit values, as the dataset's arrays are.
public enum Degradation: String, Codable, CaseIterable, Sendable {
    case colorization = "ffhq_colorization"
    case denoise = "ffhq_denoise"
    case inpainting = "ffhq_inpainting"

    /// The task of a `--dataset_type`, if it is one of these.
    public init?(datasetType: String) { self.init(rawValue: datasetType) }

    /// Sources for targets [N, 3, S, S] in [-1, 1], drawing from `generator`: [N, 3, S, S] in [-1, 1].
    public func sources(_ targets: Tensor, generator: Torch.Generator) throws -> Tensor {
        guard targets.rank == 4, targets.size(1) == 3, targets.size(2) == targets.size(3) else {
            throw EncoderTrainingError("\(rawValue) degrades square RGB images [N, 3, S, S]; got \(targets.shape)")
        }
        let bytes = try ((targets.clamp(min: -1, max: 1) + 1) * 127.5).round()  // 0...255
        let degraded: Tensor
        switch self {
        case .colorization:
            let (r, g, b) = (try bytes.slice(1, 0, 1), try bytes.slice(1, 1, 2), try bytes.slice(1, 2, 3))
            let gray = try (b * 0.299 + g * 0.587 + r * 0.114).round()
            degraded = try gray.expand(bytes.shape).contiguous()
        case .denoise:
            var out: [Tensor] = []
            for n in 0..<bytes.size(0) {
                let image = try bytes.slice(0, n, n + 1) / 255
                let gaussian = try Tensor.rand([1], generator: generator).item() < 0.5
                if gaussian {
                    let noisy = try (image + Tensor.randn(image.shape, generator: generator) * 0.1).clamp(min: 0, max: 1)
                    out.append(try (noisy * 255).round())
                } else {
                    let flipped = try Tensor.rand(image.shape, generator: generator).le(0.05)
                    let salted = try Tensor.rand(image.shape, generator: generator).le(0.5)
                    let replaced = try image.maskedFill(flipped.logicalAnd(salted), 1)
                        .maskedFill(flipped.logicalAnd(salted.logicalNot()), 0)
                    out.append(try (replaced * 255).round())
                }
            }
            degraded = try Tensor.cat(out)
        case .inpainting:
            let side = bytes.size(2)
            var out: [Tensor] = []
            for n in 0..<bytes.size(0) {
                let draws = try Tensor.randint(0, 2, [2], generator: generator).array(of: Int64.self)
                let scale = Double(side) / 256
                let a = (draws[0] == 0 ? 35.0 : 220.0, 35.0), b = (draws[1] == 0 ? 35.0 : 70.0, 220.0)
                let c = (b.0 + 150, 220.0)
                let mask = try Self.triangle([a, b, c].map { ($0.0 * scale, $0.1 * scale) }, side: side)
                out.append(try bytes.slice(0, n, n + 1).maskedFill(mask, 0))
            }
            degraded = try Tensor.cat(out)
        }
        return try degraded / 127.5 - 1
    }

    /// The pixels (x, y) of an S x S image inside the triangle or on its edges: [1, 1, S, S] booleans.
    static func triangle(_ corners: [(Double, Double)], side: Int) throws -> Tensor {
        var inside = [Bool](repeating: false, count: side * side)
        func edge(_ p: (Double, Double), _ q: (Double, Double), _ x: Double, _ y: Double) -> Double {
            (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0)
        }
        for y in 0..<side {
            for x in 0..<side {
                let (px, py) = (Double(x), Double(y))
                let d = [edge(corners[0], corners[1], px, py), edge(corners[1], corners[2], px, py),
                         edge(corners[2], corners[0], px, py)]
                inside[y * side + x] = d.allSatisfy { $0 >= 0 } || d.allSatisfy { $0 <= 0 }
            }
        }
        return try Tensor(inside.map { $0 ? Float(1) : 0 }, shape: [1, 1, side, side]).gt(0.5)
    }
}
