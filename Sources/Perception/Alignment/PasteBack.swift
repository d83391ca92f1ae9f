import Foundation
import Torch

/// The inverse of the FFHQ crop: an aligned (and perhaps edited) face warped back into the photo it was cut from,
/// blended in with a feathered mask, so an edit can be seen in place.
public enum PasteBack {
    /// `face` [1, 3, S, S] in [-1, 1], cut from `photo` [1, 3, H, W] in [-1, 1] by `quad` (the photo's pixels) ->
    /// the photo with the face pasted in, [1, 3, H, W].
    ///
    /// Each photo pixel inside the quad finds its place (u, v) in the crop by inverting the quad's bilinear map
    /// (`QuadSampler`'s), reads the face there bilinearly, and blends it in with weight min(u, 1 - u, v, 1 - v) /
    /// `feather`, clamped to [0, 1]: 1 inside, falling to 0 at the crop's edge over `feather` of its side. Only the
    /// quad's bounding box is computed, so memory follows the face, not the photo.
    public static func paste(_ face: Tensor, into photo: Tensor, quad: AlignmentQuad, feather: Double = 0.1) throws -> Tensor {
        try expectImage(face, "face")
        try expectImage(photo, "photo")
        guard face.size(2) == face.size(3) else { throw TorchError("PasteBack: the face must be square, got \(face.shape)") }
        guard feather > 0, feather <= 0.5 else { throw TorchError("PasteBack: feather must be in (0, 0.5], got \(feather)") }
        let (height, width, side) = (photo.size(2), photo.size(3), face.size(2))
        let xs = quad.corners.map(\.x), ys = quad.corners.map(\.y)
        let left = max(Int(xs.min()!.rounded(.down)), 0), right = min(Int(xs.max()!.rounded(.up)), width - 1)
        let top = max(Int(ys.min()!.rounded(.down)), 0), bottom = min(Int(ys.max()!.rounded(.up)), height - 1)
        guard left <= right, top <= bottom else { return photo }
        return try withNoGrad {
            let device = photo.device
            let px = try Tensor.arange(Double(left), Double(right + 1), dtype: .float64, device: device).unsqueeze(0)
            let py = try Tensor.arange(Double(top), Double(bottom + 1), dtype: .float64, device: device).unsqueeze(1)
            let (u, v) = try inverse(quad, x: px.expand([bottom - top + 1, right - left + 1]),
                                     y: py.expand([bottom - top + 1, right - left + 1]))
            // The crop's pixel (i, j) sits at u = (i + 0.5) / S: read the face at u S - 0.5, edges repeated.
            let sampled = try sample(face.to(dtype: .float64), x: u * Double(side) - 0.5, y: v * Double(side) - 0.5)
            let edge = try u.minimum(1 - u).minimum(v.minimum(1 - v))
            let mask = try (edge / feather).clamp(min: 0, max: 1)  // [h, w]
            let region = try photo.narrow(2, start: top, length: bottom - top + 1).narrow(3, start: left, length: right - left + 1)
                .to(dtype: .float64)
            let blended = try (region + (sampled - region) * mask).to(dtype: photo.dtype)
            let result = try photo.clone()
            try result.narrow(2, start: top, length: bottom - top + 1).narrow(3, start: left, length: right - left + 1)
                .copy_(blended)
            return result
        }
    }

    /// (u, v) with quad(u, v) = (x, y): the affine solution from three corners, then Newton steps on the bilinear
    /// map (the FFHQ quad is a square, so they change nothing there).
    static func inverse(_ q: AlignmentQuad, x: Tensor, y: Tensor) throws -> (Tensor, Tensor) {
        let (ax, ay) = (q.topRight.x - q.topLeft.x, q.topRight.y - q.topLeft.y)  // d/du
        let (bx, by) = (q.bottomLeft.x - q.topLeft.x, q.bottomLeft.y - q.topLeft.y)  // d/dv
        let (cx, cy) = (q.bottomRight.x - q.bottomLeft.x - q.topRight.x + q.topLeft.x,
                        q.bottomRight.y - q.bottomLeft.y - q.topRight.y + q.topLeft.y)  // d²/du dv
        var (u, v) = (try Tensor.zeros(x.shape, dtype: .float64, device: x.device), try Tensor.zeros(x.shape, dtype: .float64, device: x.device))
        for _ in 0..<4 {
            let fx = try x - (u * ax + v * bx + u * v * cx + q.topLeft.x)
            let fy = try y - (u * ay + v * by + u * v * cy + q.topLeft.y)
            let (jxu, jxv) = (try v * cx + ax, try u * cx + bx)
            let (jyu, jyv) = (try v * cy + ay, try u * cy + by)
            let det = try jxu * jyv - jxv * jyu
            u = try u + (fx * jyv - fy * jxv) / det
            v = try v + (fy * jxu - fx * jyu) / det
        }
        return (u, v)
    }

    /// Bilinear reads of image [1, C, S, S] at (x, y) [h, w] in its pixel coordinates, edges repeated: [1, C, h, w].
    static func sample(_ image: Tensor, x: Tensor, y: Tensor) throws -> Tensor {
        let (channels, side) = (image.size(1), image.size(2))
        let flat = try image.reshape([channels, side * side])
        let (xc, yc) = (try x.clamp(min: 0, max: Double(side - 1)), try y.clamp(min: 0, max: Double(side - 1)))
        let (x0, y0) = (try xc.floor(), try yc.floor())
        let (dx, dy) = (try xc - x0, try yc - y0)
        let (x1, y1) = (try (x0 + 1).clamp(max: Double(side - 1)), try (y0 + 1).clamp(max: Double(side - 1)))
        func read(_ r: Tensor, _ c: Tensor) throws -> Tensor {
            try flat.indexSelect(1, (r * Double(side) + c).flatten().to(dtype: .int64)).reshape([channels] + x.shape)
        }
        let top = try read(y0, x0) + (read(y0, x1) - read(y0, x0)) * dx
        let bottom = try read(y1, x0) + (read(y1, x1) - read(y1, x0)) * dx
        return try (top + (bottom - top) * dy).unsqueeze(0)
    }

    private static func expectImage(_ t: Tensor, _ name: String) throws {
        guard t.rank == 4, t.size(0) == 1, t.size(1) == 3 else {
            throw TorchError("PasteBack: the \(name) must be an RGB image [1, 3, H, W], got \(t.shape)")
        }
    }
}
