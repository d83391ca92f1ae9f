import Foundation
import Torch

/// Photo-like captures in tensor operations, per sample: optical blur, sensor noise, then baseline JPEG
/// (4:2:0 chroma, 8x8 DCT, the IJG quality-scaled tables, 8-bit output), so a batch is degraded in one pass on
/// any device and the result depends only on each sample's own settings.
enum PhotoDegradation {
    /// images [N, 3, S, S] in [0, 1] -> [N, 3, S, S] in [0, 1].
    static func apply(_ images: Tensor, _ settings: [VariationFactors.Degradation], noiseSeeds: [UInt64]) throws -> Tensor {
        let n = images.size(0), size = images.size(3)
        let device = images.device
        var x = try blur(images, sigmas: settings.map { $0.blur * Float(size) / 64 })
        let noise = try Tensor.cat(noiseSeeds.map { seed in
            try Tensor.randn([1, 3, size, size], generator: Generator(seed: seed))
        }).to(device: device)
        let sigma = try Tensor(settings.map(\.noise), shape: [n, 1, 1, 1]).to(device: device)
        x = try (x + noise * sigma).clamp(min: 0, max: 1)
        return try jpeg(x, qualities: settings.map(\.jpegQuality))
    }

    /// Separable Gaussian blur with one sigma (pixels) per sample; edges replicated.
    static func blur(_ x: Tensor, sigmas: [Float]) throws -> Tensor {
        let n = x.size(0), size = x.size(3)
        let radius = max(1, Int((3 * (sigmas.max() ?? 1)).rounded(.up)))
        let weights: [Float] = sigmas.flatMap { sigma -> [Float] in
            let w = (-radius...radius).map { k in exp(-Float(k * k) / (2 * max(sigma, 0.05) * max(sigma, 0.05))) }
            let total = w.reduce(0, +)
            return w.map { $0 / total }
        }
        let taps = try Tensor(weights, shape: [n, 2 * radius + 1, 1, 1]).to(device: x.device)
        func pass(_ t: Tensor, dim: Int) throws -> Tensor {
            let padded = try t.pad(dim == 3 ? [radius, radius, 0, 0] : [0, 0, radius, radius], mode: .replicate)
            var out = try t.zerosLike()
            for k in 0...(2 * radius) {
                out = try out + padded.narrow(dim, start: k, length: size) * taps.narrow(1, start: k, length: 1)
            }
            return out
        }
        return try pass(pass(x, dim: 3), dim: 2)
    }

    /// Baseline JPEG compression and decompression at one quality (1...100) per sample. S is a multiple of 16.
    static func jpeg(_ x: Tensor, qualities: [Int]) throws -> Tensor {
        let n = x.size(0), size = x.size(3)
        let device = x.device
        let rgb = try x * 255
        let (r, g, b) = try (rgb.select(1, 0), rgb.select(1, 1), rgb.select(1, 2))
        let luma = try r * 0.299 + g * 0.587 + b * 0.114
        let cb = try r * -0.168736 + g * -0.331264 + b * 0.5 + 128
        let cr = try r * 0.5 + g * -0.418688 + b * -0.081312 + 128
        let chroma = try F.avgPool2d(Tensor.stack([cb, cr], dim: 1), kernel: (2, 2))

        let dct = try Tensor(dctMatrix, shape: [8, 8]).to(device: device)
        func table(_ base: [Float]) throws -> Tensor {
            let rows = qualities.flatMap { q -> [Float] in
                let q = min(max(q, 1), 100)
                let scale = Float(q < 50 ? 5000 / q : 200 - 2 * q)
                return base.map { min(max(((($0 * scale) + 50) / 100).rounded(.down), 1), 255) }
            }
            return try Tensor(rows, shape: [n, 1, 1, 1, 8, 8]).to(device: device)
        }
        /// [N, C, H, W] samples -> the same after DCT, quantisation and inverse DCT.
        func code(_ planes: Tensor, _ quant: Tensor) throws -> Tensor {
            let (c, h, w) = (planes.size(1), planes.size(2), planes.size(3))
            let blocks = try (planes - 128).reshape([n, c, h / 8, 8, w / 8, 8]).permute([0, 1, 2, 4, 3, 5])
            let coefficients = try dct.matmul(blocks).matmul(dct.transpose(0, 1))
            let quantised = try (coefficients / quant).round() * quant
            let back = try dct.transpose(0, 1).matmul(quantised).matmul(dct)
            return try (back.permute([0, 1, 2, 4, 3, 5]).reshape([n, c, h, w]) + 128).clamp(min: 0, max: 255).round()
        }
        let y = try code(luma.unsqueeze(1), table(lumaTable)).squeeze(1)
        let c = try F.interpolate(code(chroma, table(chromaTable)), size: (size, size), mode: .bilinear, alignCorners: false)
        let (u, v) = try (c.select(1, 0) - 128, c.select(1, 1) - 128)
        let out = try Tensor.stack([y + v * 1.402, y - u * 0.344136 - v * 0.714136, y + u * 1.772], dim: 1)
        return try (out.clamp(min: 0, max: 255).round() / 255)
    }

    /// The orthonormal 8-point DCT-II, rows are frequencies.
    static let dctMatrix: [Float] = (0..<8).flatMap { k in
        (0..<8).map { i in
            let scale = k == 0 ? (1.0 / 8).squareRoot() : (2.0 / 8).squareRoot()
            return Float(scale * cos(Double.pi * Double(2 * i + 1) * Double(k) / 16))
        }
    }

    /// The JPEG standard's (Annex K) luminance and chrominance tables at quality 50.
    static let lumaTable: [Float] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]
    static let chromaTable: [Float] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ]
}
