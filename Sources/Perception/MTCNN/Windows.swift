import Torch

/// The step from pixels to MTCNN windows and back: P-Net's proposals and the crops R-Net and O-Net read.
enum Windows {
    /// P-Net sees 12x12 cells with stride 2: the smallest face it finds is 12 pixels of the scaled image.
    static let cellSize = 12.0
    static let stride = 2.0

    /// Scaled 0...255 pixels -> the networks' input range, (v - 127.5) / 128.
    static func normalised(_ pixels: Tensor) throws -> Tensor { try (pixels - 127.5) * 0.0078125 }

    /// Resizes [N, 3, H, W] pixels as PIL's bilinear `resize` on 8-bit images, which MTCNN was run with: a triangle
    /// filter widened by the shrink factor when shrinking, applied along rows then columns, each pass rounded half
    /// up to whole levels. That matches PIL on all but a fraction of a percent of pixels, which differ by one level
    /// (PIL's fixed-point weights).
    static func resized(_ pixels: Tensor, height: Int, width: Int) throws -> Tensor {
        func pass(_ x: Tensor, _ size: (Int, Int)) throws -> Tensor {
            guard size != (x.size(2), x.size(3)) else { return x }
            return try (F.interpolate(x, size: size, mode: .bilinear, alignCorners: false, antialias: true) + 0.5)
                .floor()
        }
        return try pass(pass(pixels, (pixels.size(2), width)), (height, width))
    }

    /// Windows where P-Net's face probability exceeds `threshold` (`_generate_bboxes`), mapped back to the unscaled
    /// image. The cell at output (row, col) covers scaled pixels 2 col + 1 ... 2 col + 12; MTCNN's "+ 1" is kept.
    ///
    /// - Parameters: probabilities [H', W'] (face channel); offsets [4, H', W'].
    static func proposals(probabilities: Tensor, offsets: Tensor, scale: Double, threshold: Double) throws
        -> [Candidate]
    {
        let mask = try probabilities.gt(threshold)
        let cells = try mask.nonzero().int64s()  // [K, 2] row-major, as np.where
        guard !cells.isEmpty else { return [] }
        let scores = try probabilities.maskedSelect(mask).doubles()  // [K], same order
        let k = scores.count
        let regressions = try offsets.maskedSelect(mask.unsqueeze(0).expand(offsets.shape)).doubles()  // [4 * K]
        func corner(_ cell: Int64, _ extra: Double) -> Double {
            ((stride * Double(cell) + 1 + extra) / scale).rounded(.toNearestOrEven)
        }
        return (0..<k).map { i in
            let (row, col) = (cells[2 * i], cells[2 * i + 1])
            return Candidate(x1: corner(col, 0), y1: corner(row, 0), x2: corner(col, cellSize),
                             y2: corner(row, cellSize), score: scores[i],
                             offsets: (0..<4).map { regressions[$0 * k + i] })
        }
    }

    /// Cuts each window out of `pixels` [1, 3, H, W] (0...255), black where it leaves the image, and resizes it to
    /// `size` x `size` (`get_image_boxes`) -> normalised crops [N, 3, size, size]. Windows must have whole-pixel
    /// corners and at least one pixel each way.
    static func crops(_ pixels: Tensor, _ windows: [Candidate], size: Int) throws -> Tensor {
        let (height, width) = (pixels.size(2), pixels.size(3))
        let crops = try windows.map { window -> Tensor in
            let (x1, y1, x2, y2) = (Int(window.x1), Int(window.y1), Int(window.x2), Int(window.y2))
            let (left, top, right, bottom) = (max(x1, 0), max(y1, 0), min(x2, width - 1), min(y2, height - 1))
            let cut: Tensor
            if left <= right && top <= bottom {
                cut = try pixels.narrow(2, start: top, length: bottom - top + 1)
                    .narrow(3, start: left, length: right - left + 1)
                    .pad([left - x1, x2 - right, top - y1, y2 - bottom])
            } else {
                cut = try Tensor.zeros([1, 3, y2 - y1 + 1, x2 - x1 + 1], device: pixels.device)
            }
            return try resized(cut, height: size, width: size)
        }
        return try normalised(Tensor.cat(crops))
    }
}
