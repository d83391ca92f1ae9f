import Torch

/// A batch of pictures being painted, back to front: every shape is a per-sample ellipse (or curve) turned into
/// antialiased coverage with whole-batch tensor operations, then blended into the images and stamped into the
/// masks where it covers more than half a pixel.
final class Canvas {
    let size: Int
    let count: Int
    let device: Device
    /// Pixel centres in image units, [1, S, S].
    let x: Tensor, y: Tensor
    /// The width of one pixel in image units.
    let pixel: Double
    /// [N, 3, S, S] in [0, 1].
    var image: Tensor
    /// [N, S, S] int64 FaceClass raw values.
    var mask: Tensor

    init(size: Int, count: Int, device: Device, background: Tensor) throws {
        self.size = size
        self.count = count
        self.device = device
        pixel = 2 / Double(size)
        let ramp = try Tensor.arange(0, Double(size), device: device) * pixel + (pixel / 2 - 1)
        x = try ramp.view([1, 1, size]).expand([1, size, size]).contiguous()
        y = try ramp.view([1, size, 1]).expand([1, size, size]).contiguous()
        image = background
        mask = try Tensor.zeros([count, size, size], dtype: .int64, device: device)
    }

    /// Per-sample numbers as [N, 1, 1] tensors, one per column.
    func columns(_ rows: [[Float]]) throws -> [Tensor] {
        let width = rows.first?.count ?? 0
        let table = try Tensor(rows.flatMap { $0 }, shape: [count, width, 1, 1]).to(device: device)
        return try (0..<width).map { try table.select(1, $0) }
    }

    /// Colours as [N, 3, 1, 1].
    func colours(_ values: [RGB]) throws -> Tensor {
        try Tensor(values.flatMap { [$0.r, $0.g, $0.b] }, shape: [count, 3, 1, 1]).to(device: device)
    }

    /// Local coordinates of every pixel in each sample's ellipse frame (bend applied), with the ellipses'
    /// parameter columns.
    private func local(_ shapes: [Ellipse]) throws -> (lx: Tensor, ly: Tensor, p: [Tensor]) {
        let p = try columns(shapes.map {
            [$0.center.x, $0.center.y, $0.inverse.0.x, $0.inverse.0.y, $0.inverse.1.x, $0.inverse.1.y, $0.bend, $0.visible]
        })
        let dx = try x - p[0], dy = try y - p[1]
        let lx = try dx * p[2] + dy * p[3]
        var ly = try dx * p[4] + dy * p[5]
        if shapes.contains(where: { $0.bend != 0 }) { ly = try ly + lx.square() * p[6] }
        return (lx, ly, p)
    }

    /// Coverage [N, S, S] in [0, 1] of one ellipse per sample, antialiased over one pixel by its signed distance
    /// (the implicit radius over its gradient). `reshape` maps local (x, y) before the radius is taken.
    func coverage(_ shapes: [Ellipse], reshape: ((Tensor, Tensor, [Tensor]) throws -> (Tensor, Tensor))? = nil) throws
        -> Tensor
    {
        var (lx, ly, p) = try local(shapes)
        if let reshape { (lx, ly) = try reshape(lx, ly, p) }
        let r = try (lx.square() + ly.square()).sqrt().clamp(min: 1e-4)
        let gx = try (lx * p[2] + ly * p[4]) / r
        let gy = try (lx * p[3] + ly * p[5]) / r
        let gradient = try (gx.square() + gy.square()).sqrt().clamp(min: 1e-4)
        var c = try (0.5 - (r - 1) / (gradient * pixel)).clamp(min: 0, max: 1)
        if shapes.contains(where: { $0.visible != 1 }) { c = try c * p[7] }
        return c
    }

    /// Coverage of the side of each sample's curve that it keeps, antialiased like `coverage`.
    func coverage(_ curves: [Curve]) throws -> Tensor {
        let (lx, ly, _) = try local(curves.map(\.frame))
        let q = try columns(curves.map {
            let g = ($0.frame.inverse.1 * $0.frame.inverse.1).sum().squareRoot()
            return [$0.top, $0.middle, $0.curvature, $0.keepBelow ? 1 : -1, g]
        })
        let boundary = try q[0] + (lx - q[1]).square() * q[2]
        return try (0.5 + (ly - boundary) * q[3] / (q[4] * pixel)).clamp(min: 0, max: 1)
    }

    /// Blends `colour` ([N, 3, 1, 1] or [N, 3, S, S], [0, 1]) in where `coverage` says, with `opacity`, and stamps
    /// `label` into the masks where the coverage exceeds one half.
    func paint(_ coverage: Tensor, _ colour: Tensor, label: FaceClass?, opacity: Double = 1) throws {
        let alpha = try (opacity == 1 ? coverage : coverage * opacity).unsqueeze(1)
        image = try image + alpha * (colour - image)
        if let label { mask = try mask.maskedFill(coverage.gt(0.5), Double(label.rawValue)) }
    }

    func paint(_ coverage: Tensor, _ colours: [RGB], label: FaceClass?, opacity: Double = 1) throws {
        try paint(coverage, try self.colours(colours), label: label, opacity: opacity)
    }
}
