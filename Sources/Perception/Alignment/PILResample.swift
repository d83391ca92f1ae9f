import Foundation
import Torch

/// PIL's `Image.resize(size, LANCZOS)` on 8-bit RGB, to the level (Pillow's `Resample.c`): a horizontal then a
/// vertical pass, each with Lanczos-3 weights widened by the scale when shrinking, normalised and rounded to 22-bit
/// fixed point, each pass's sums rounded and clipped to 8 bits. A pass runs only where its side changes.
///
/// The passes run in float64 tensors, one tap at a time: every weight is an integer below 2^23 and every pixel below
/// 2^8, so the sums are whole numbers below 2^53 and exact. `referenceResize` is the plain loop the tests hold it to.
enum PILResample {
    static let precisionBits = 22

    /// `lanczos_filter`: sinc(x) sinc(x / 3) on [-3, 3).
    static func lanczos(_ x: Double) -> Double {
        func sinc(_ x: Double) -> Double { x == 0 ? 1 : sin(x * Double.pi) / (x * Double.pi) }
        return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0
    }

    /// `precompute_coeffs` then `normalize_coeffs_8bpc`: for each output pixel its first input pixel and its
    /// fixed-point weights.
    static func coefficients(inSize: Int, outSize: Int) -> [(first: Int, weights: [Int])] {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 3 * filterScale
        return (0..<outSize).map { xx in
            let center = (Double(xx) + 0.5) * scale
            let first = max(Int(center - support + 0.5), 0)
            let last = min(Int(center + support + 0.5), inSize)
            var weights = (first..<max(last, first)).map { lanczos((Double($0) - center + 0.5) / filterScale) }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            let one = Double(1 << precisionBits)
            return (first, weights.map { Int($0 < 0 ? -0.5 + $0 * one : 0.5 + $0 * one) })
        }
    }

    /// One pass along the last dimension of x [..., inSize] (float64 whole levels) -> [..., outSize]: for each tap k,
    /// the input at first + k times its weight, summed, then rounded and clipped to 8 bits as `clip8` after the
    /// 2^21 bias.
    static func pass(_ x: Tensor, outSize: Int) throws -> Tensor {
        let inSize = x.size(-1)
        let c = coefficients(inSize: inSize, outSize: outSize)
        let taps = c.map(\.weights.count).max() ?? 0
        var sums = try Tensor.full(Array(x.shape.dropLast()) + [outSize], Double(1 << (precisionBits - 1)), dtype: .float64)
        for k in 0..<taps {
            // Past an output's last tap the weight is 0; its index is clamped to stay in range.
            let index = try Tensor(c.map { Int64(min($0.first + k, inSize - 1)) })
            let weight = try Tensor(c.map { k < $0.weights.count ? Double($0.weights[k]) : 0 })
            sums = try sums + x.indexSelect(-1, index) * weight
        }
        return try (sums / Double(1 << precisionBits)).floor().clamp(min: 0, max: 255)
    }

    /// pixels [1, 3, H, W] of whole levels 0...255 (any float dtype) -> [1, 3, height, width], whole levels, float32.
    static func resize(_ pixels: Tensor, height: Int, width: Int) throws -> Tensor {
        var x = try pixels.to(device: .cpu, dtype: .float64)
        if width != x.size(3) { x = try pass(x, outSize: width) }
        if height != x.size(2) { x = try pass(x.transpose(2, 3), outSize: height).transpose(2, 3) }
        return try x.contiguous().to(device: pixels.device, dtype: .float32)
    }

    /// The same, as Pillow's loops: each output pixel's fixed-point sum, shifted and clipped. [H][W][3] bytes.
    static func referenceResize(_ image: [[[Int]]], height: Int, width: Int) -> [[[Int]]] {
        func clip8(_ v: Int) -> Int { min(max(v >> precisionBits, 0), 255) }
        let bias = 1 << (precisionBits - 1)
        var rows = image
        if width != image[0].count {
            let c = coefficients(inSize: image[0].count, outSize: width)
            rows = image.map { row in
                c.map { co in (0..<3).map { ch in
                    clip8(co.weights.enumerated().reduce(bias) { $0 + row[co.first + $1.offset][ch] * $1.element })
                } }
            }
        }
        guard height != image.count else { return rows }
        let c = coefficients(inSize: image.count, outSize: height)
        return c.map { co in
            (0..<rows[0].count).map { x in (0..<3).map { ch in
                clip8(co.weights.enumerated().reduce(bias) { $0 + rows[co.first + $1.offset][x][ch] * $1.element })
            } }
        }
    }
}
