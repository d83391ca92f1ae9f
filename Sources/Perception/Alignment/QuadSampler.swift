import Torch

/// PIL's `Image.transform(size, QUAD, corners, BILINEAR)`, which the FFHQ script warps the face with.
enum QuadSampler {
    /// Output points sampled per step, to bound the temporaries at 4096 x 4096.
    private static let pointsPerBand = 1 << 20

    /// Samples `pixels` [1, C, H, W] over `quad` (source pixel coordinates, centres on whole numbers) into
    /// [1, C, size, size].
    ///
    /// As PIL: output pixel (i, j) reads the quad's bilinear map at ((i + 0.5) / size, (j + 0.5) / size); a point
    /// outside the source is black; inside, the four nearest pixels are blended with edge rows and columns
    /// repeated, and the result is truncated to a whole level as PIL's 8-bit filter does.
    static func sample(_ pixels: Tensor, quad: AlignmentQuad, size: Int) throws -> Tensor {
        let (channels, height, width) = (pixels.size(1), pixels.size(2), pixels.size(3))
        let flat = try pixels.reshape([channels, height * width]).to(dtype: .float64)
        let device = pixels.device
        let u = try ((Tensor.arange(0, Double(size), dtype: .float64, device: device) + 0.5) / Double(size))
            .unsqueeze(0)  // [1, size]
        let (tl, tr, bl, br) = (quad.topLeft, quad.topRight, quad.bottomLeft, quad.bottomRight)
        let rowsPerBand = max(1, pointsPerBand / size)
        var bands: [Tensor] = []
        for start in stride(from: 0, to: size, by: rowsPerBand) {
            let rows = min(rowsPerBand, size - start)
            let v = try ((Tensor.arange(Double(start), Double(start + rows), dtype: .float64, device: device) + 0.5)
                / Double(size)).unsqueeze(1)  // [rows, 1]
            // tl + (tr - tl) u + (bl - tl) v + (br - bl - tr + tl) u v, as (row start) + (row slope) u.
            let x = try (v * (bl.x - tl.x) + tl.x) + (v * (br.x - bl.x - tr.x + tl.x) + (tr.x - tl.x)) * u
            let y = try (v * (bl.y - tl.y) + tl.y) + (v * (br.y - bl.y - tr.y + tl.y) + (tr.y - tl.y)) * u
            let inside = try x.ge(-0.5).logicalAnd(x.lt(Double(width) - 0.5))
                .logicalAnd(y.ge(-0.5)).logicalAnd(y.lt(Double(height) - 0.5))
            let (x0, y0) = (try x.floor(), try y.floor())
            let (dx, dy) = (try (x - x0).flatten(), try (y - y0).flatten())
            func column(_ c: Tensor) throws -> Tensor { try c.clamp(min: 0, max: Double(width - 1)) }
            func row(_ r: Tensor) throws -> Tensor { try r.clamp(min: 0, max: Double(height - 1)) * Double(width) }
            func read(_ r: Tensor, _ c: Tensor) throws -> Tensor {
                try flat.indexSelect(1, (r + c).flatten().to(dtype: .int64))  // [C, rows * size]
            }
            let (c0, c1, r0, r1) = (try column(x0), try column(x0 + 1), try row(y0), try row(y0 + 1))
            let (v00, v01, v10, v11) = (try read(r0, c0), try read(r0, c1), try read(r1, c0), try read(r1, c1))
            let top = try v00 + (v01 - v00) * dx
            let bottom = try v10 + (v11 - v10) * dx
            let value = try (top + (bottom - top) * dy).floor() * inside.flatten().to(dtype: .float64)
            bands.append(try value.reshape([channels, rows, size]))
        }
        return try Tensor.cat(bands, dim: 1).unsqueeze(0).to(dtype: pixels.dtype)
    }
}
