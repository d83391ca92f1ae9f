import Torch

/// The geometric half of rosinality's augmentation (`random_apply_affine`): reflect-pad the image far enough that
/// the transformed frame stays inside it, upsample 2x with the sym6 wavelet filter, resample through the affine
/// matrix (bilinear, zeros outside), filter and downsample 2x back. Every step is differentiable in the image, to
/// second order, so that the generator's gradient and R1 pass through it.
enum AugmentGeometry {
    /// Daubechies' symlet-6 low-pass filter, the antialiasing kernel of `non_leaking.py` (float32 there).
    static let sym6: [Double] = [
        0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633, 0.4910559419267466,
        0.787641141030194, 0.3379294217276218, -0.07263752278646252, -0.021060292512300564, 0.04472490177066578,
        0.0017677118642428036, -0.007800708325034148,
    ]

    /// images [N, C, H, W], matrix [N, 3, 3] (see `AugmentTransforms.geometric`) -> [N, C, H, W]
    static func apply(_ images: Tensor, matrix g: Tensor) throws -> Tensor {
        let (height, width) = (images.size(2), images.size(3))
        let k = sym6.count
        let taps = try Tensor(sym6.map { Float($0) }).to(device: images.device, dtype: images.dtype)
        let g = try g.to(device: .cpu, dtype: .float32)
        let pad = try padding(g, height: height, width: width, kernelSize: k)
        let padded = try images.pad([pad.x1, pad.x2, pad.y1, pad.y2], mode: .reflect)

        var theta = try translation(Double(pad.x1 - pad.x2) / 2, Double(pad.y1 - pad.y2) / 2).matmul(g)
        let (up0, up1) = ((k + 1) / 2, (k - 2) / 2)
        var big = try upfirdn(padded, taps: taps, axis: 3, up: 2, pad: (up0, up1))
        big = try upfirdn(big, taps: taps, axis: 2, up: 2, pad: (up0, up1))
        theta = try scaling(2, 2).matmul(theta).matmul(scaling(1.0 / 2, 1.0 / 2))
        theta = try translation(-0.5, -0.5).matmul(theta).matmul(translation(0.5, 0.5))
        let padK = k / 4
        let (outH, outW) = ((height + padK * 2) * 2, (width + padK * 2) * 2)
        theta = try scaling(2 / Double(big.size(3)), 2 / Double(big.size(2))).matmul(theta)
            .matmul(scaling(1 / (2 / Double(outW)), 1 / (2 / Double(outH))))
        let grid = try affineGrid(theta.slice(1, 0, 2).to(device: images.device, dtype: images.dtype),
                                  height: outH, width: outW)
        let sampled = try bilinearSample(big, grid: grid)
        let (down0, down1) = (-padK * 2 + (k - 1) / 2, -padK * 2 + (k - 2) / 2)
        let flipped = try taps.flip([0])
        var out = try upfirdn(sampled, taps: flipped, axis: 3, down: 2, pad: (down0, down1))
        out = try upfirdn(out, taps: flipped, axis: 2, down: 2, pad: (down0, down1))
        return out
    }

    /// Reflect padding (left, right, top, bottom) that covers the corners of the transformed frame plus the
    /// filter's reach, at most one less than the image size (`get_padding`, in float32 as there).
    static func padding(_ g: Tensor, height: Int, width: Int, kernelSize: Int) throws
        -> (x1: Int, x2: Int, y1: Int, y2: Int)
    {
        let (cx, cy) = (Float(width - 1) / 2, Float(height - 1) / 2)
        let corners = try Tensor([-cx, -cy, 1, cx, -cy, 1, cx, cy, 1, -cx, cy, 1], shape: [4, 3])
        let mapped = try g.matmul(corners.transpose(0, 1))  // [N, 3, 4]
        let xy = try mapped.slice(1, 0, 2).permute([1, 0, 2]).flatten(from: 1)  // [2, 4N]
        var pad = try Tensor.cat([-xy, xy]).max([1])  // [4]: -x, -y, x, y
        let padK = Float(kernelSize / 4)
        pad = try pad + Tensor([padK * 2 - cx, padK * 2 - cy, padK * 2 - cx, padK * 2 - cy])
        pad = try pad.maximum(Tensor.zeros([4]))
        pad = try pad.minimum(Tensor([Float(width - 1), Float(height - 1), Float(width - 1), Float(height - 1)]))
        let p = try pad.ceil().to(dtype: .int64).int64s().map { Int($0) }
        return (p[0], p[2], p[1], p[3])
    }

    /// upfirdn along one spatial axis (2: rows, 3: columns) with 1-D `taps` in the image's dtype: insert up - 1 zeros
    /// between samples, pad (negative pads crop), convolve with the taps, keep every `down`-th sample
    /// (rosinality's `upfirdn2d` with a [1, k] or [k, 1] kernel).
    static func upfirdn(_ x: Tensor, taps: Tensor, axis: Int, up: Int = 1, down: Int = 1, pad: (Int, Int)) throws
        -> Tensor
    {
        let (c, k) = (x.size(1), taps.count)
        let single = axis == 3 ? [1, 1, 1, k] : [1, 1, k, 1]
        let shape = [c] + single.dropFirst()
        func pair(_ v: Int, _ rest: Int) -> (Int, Int) { axis == 3 ? (rest, v) : (v, rest) }
        let length = x.size(axis) * up + pad.0 + pad.1 - k + 1
        var out: Tensor
        if up == 1 {
            out = try F.conv2d(padOrCrop(x, axis: axis, pad), taps.flip([0]).reshape(single).expand(shape),
                               stride: pair(down, 1), groups: c)
        } else {
            // Zero insertion then convolution is a transposed convolution with the taps; output sample o of
            // upfirdn is sample o + k - 1 - pad0 of the full transposed output.
            let full = try F.convTranspose2d(x, taps.reshape(single).expand(shape), stride: pair(up, 1), groups: c)
            let start = k - 1 - pad.0
            out = try padOrCrop(full, axis: axis, (-start, length + start - full.size(axis)))
            if down > 1 { out = try out.slice(axis, 0, out.size(axis), step: down) }
        }
        return out
    }

    /// Zeros added (positive) or samples removed (negative) at the two ends of `axis`.
    private static func padOrCrop(_ x: Tensor, axis: Int, _ pad: (Int, Int)) throws -> Tensor {
        let amounts = axis == 3 ? [max(pad.0, 0), max(pad.1, 0)] : [0, 0, max(pad.0, 0), max(pad.1, 0)]
        let padded = amounts.allSatisfy { $0 == 0 } ? x : try x.pad(amounts)
        return try padded.slice(axis, max(-pad.0, 0), padded.size(axis) - max(-pad.1, 0))
    }

    private static func scaling(_ sx: Double, _ sy: Double) throws -> Tensor {
        try Tensor([Float(sx), 0, 0, 0, Float(sy), 0, 0, 0, 1], shape: [3, 3])
    }

    private static func translation(_ tx: Double, _ ty: Double) throws -> Tensor {
        try Tensor([1, 0, Float(tx), 0, 1, Float(ty), 0, 0, 1], shape: [3, 3])
    }

    /// `F.affine_grid(theta, [N, C, height, width], align_corners=False)`: theta [N, 2, 3] -> [N, height, width, 2].
    static func affineGrid(_ theta: Tensor, height: Int, width: Int) throws -> Tensor {
        func axis(_ n: Int) throws -> Tensor {
            try Tensor.linspace(-1, 1, steps: n, dtype: theta.dtype, device: theta.device) * Double(n - 1) / Double(n)
        }
        let x = try axis(width).view([1, width, 1]).expand([height, width, 1])
        let y = try axis(height).view([height, 1, 1]).expand([height, width, 1])
        let one = try Tensor.ones([height, width, 1], dtype: theta.dtype, device: theta.device)
        let base = try Tensor.cat([x, y, one], dim: 2).view([1, height * width, 3])
        return try base.matmul(theta.transpose(1, 2)).view([theta.size(0), height, width, 2])
    }

    /// `F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)` for x [N, C, H, W] and
    /// grid [N, Ho, Wo, 2] -> [N, C, Ho, Wo], written with gathers so that its gradient in x is itself differentiable
    /// (the grid is not differentiated).
    static func bilinearSample(_ x: Tensor, grid: Tensor) throws -> Tensor {
        let (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3))
        let (outH, outW) = (grid.size(1), grid.size(2))
        let ix = try ((grid.select(3, 0) + 1) * Double(w) - 1) / 2  // [N, Ho, Wo]
        let iy = try ((grid.select(3, 1) + 1) * Double(h) - 1) / 2
        let (x0, y0) = (try ix.floor(), try iy.floor())
        let flat = try x.reshape([n, c, h * w])
        var out: Tensor?
        for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            let xs = try x0 + Double(dx)
            let ys = try y0 + Double(dy)
            let wx = try dx == 1 ? ix - x0 : xs + 1 - ix
            let wy = try dy == 1 ? iy - y0 : ys + 1 - iy
            let inside = try xs.ge(0).logicalAnd(xs.le(Double(w - 1))).logicalAnd(ys.ge(0))
                .logicalAnd(ys.le(Double(h - 1)))
            let weight = try (wx * wy) * inside.to(dtype: x.dtype)
            let index = try (ys.clamp(min: 0, max: Double(h - 1)) * Double(w) + xs.clamp(min: 0, max: Double(w - 1)))
                .to(dtype: .int64).view([n, 1, outH * outW]).expand([n, c, outH * outW])
            let term = try flat.gather(2, index) * weight.view([n, 1, outH * outW])
            out = try out.map { try $0 + term } ?? term
        }
        return try out!.view([n, c, outH, outW])
    }
}
