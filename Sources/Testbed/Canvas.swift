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
    /// [N, S, S]: how much of each pixel is figure, not background.
    var figure: Tensor

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
        figure = try Tensor.zeros([count, size, size], device: device)
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

    /// The pixel rows and columns that can hold any coverage of the visible `shapes` (grown by `grow` along
    /// their own axes), with a margin for antialiasing; nil when none is visible.
    func window(_ shapes: [Ellipse], grow: SIMD2<Float> = SIMD2(1, 1)) -> Window? {
        var low = SIMD2<Float>(repeating: .infinity), high = SIMD2<Float>(repeating: -.infinity)
        for shape in shapes where shape.visible != 0 {
            // Coverage is zero beyond local radius g (see `coverage`): |x| <= g, |y + bend x^2| <= g.
            let g = 1 + 0.5 * Float(pixel) / floorRadius(shape) + 0.01
            let top = -g - max(0, shape.bend) * g * g, bottom = g + max(0, -shape.bend) * g * g
            for x: Float in [-g * grow.x, g * grow.x] {
                for y in [top * grow.y, bottom * grow.y] {
                    let p = shape.center + shape.axis(SIMD2(x, y))
                    low = pointwiseMin(low, p)
                    high = pointwiseMax(high, p)
                }
            }
        }
        guard low.x.isFinite else { return nil }
        let margin = 3
        func span(_ a: Float, _ b: Float) -> Range<Int> {
            let first = max(0, Int(((a + 1) / Float(pixel) - 0.5).rounded(.down)) - margin)
            let last = min(size, Int(((b + 1) / Float(pixel) - 0.5).rounded(.up)) + margin + 1)
            return first..<max(first, last)
        }
        let window = Window(rows: span(low.y, high.y), cols: span(low.x, high.x))
        return window.rows.isEmpty || window.cols.isEmpty ? nil : window
    }

    /// The smaller half-axis of `shape`, but at least a quarter pixel: the coverage's lower bound on distance.
    private func floorRadius(_ shape: Ellipse) -> Float { max(shape.minorRadius, 0.25 * Float(pixel)) }

    /// `tensor` [N, (C,) S, S] cut to `window` (a view).
    func cut(_ tensor: Tensor, _ window: Window) throws -> Tensor {
        let r = tensor.rank
        return try tensor.narrow(r - 2, start: window.rows.lowerBound, length: window.rows.count)
            .narrow(r - 1, start: window.cols.lowerBound, length: window.cols.count)
    }

    /// Local coordinates of every pixel of `window` in each sample's ellipse frame (bend applied), with the
    /// ellipses' parameter columns.
    private func local(_ shapes: [Ellipse], _ window: Window) throws -> (lx: Tensor, ly: Tensor, p: [Tensor]) {
        let p = try columns(shapes.map {
            [$0.center.x, $0.center.y, $0.inverse.0.x, $0.inverse.0.y, $0.inverse.1.x, $0.inverse.1.y, $0.bend, $0.visible,
             floorRadius($0)]
        })
        let dx = try cut(x, window) - p[0], dy = try cut(y, window) - p[1]
        let lx = try dx * p[2] + dy * p[3]
        var ly = try dx * p[4] + dy * p[5]
        if shapes.contains(where: { $0.bend != 0 }) { ly = try ly + lx.square() * p[6] }
        return (lx, ly, p)
    }

    /// Coverage in [0, 1] of one ellipse per sample over `window`, antialiased over one pixel by its signed
    /// distance: the implicit radius over its gradient, but never less than (radius - 1) times the smaller
    /// half-axis, which the first underestimates far along thin shapes. So coverage is exactly zero beyond a
    /// known radius (`window`), and every operation being elementwise and exactly rounded, a pixel's value does
    /// not depend on the window. `reshape` maps local (x, y) before the radius is taken.
    func coverage(_ shapes: [Ellipse], in window: Window,
                  reshape: ((Tensor, Tensor) throws -> (Tensor, Tensor))? = nil) throws -> Tensor
    {
        var (lx, ly, p) = try local(shapes, window)
        if let reshape { (lx, ly) = try reshape(lx, ly) }
        let r = try (lx.square() + ly.square()).sqrt().clamp(min: 1e-4)
        let gx = try (lx * p[2] + ly * p[4]) / r
        let gy = try (lx * p[3] + ly * p[5]) / r
        let gradient = try (gx.square() + gy.square()).sqrt().clamp(min: 1e-4)
        let distance = try ((r - 1) / gradient).maximum((r - 1) * p[8])
        var c = try (0.5 - distance / pixel).clamp(min: 0, max: 1)
        if shapes.contains(where: { $0.visible != 1 }) { c = try c * p[7] }
        return c
    }

    /// Coverage of `shapes` over the window they need; nil when none is visible.
    func coverage(_ shapes: [Ellipse]) throws -> Coverage? {
        guard let window = window(shapes) else { return nil }
        return Coverage(values: try coverage(shapes, in: window), window: window)
    }

    /// Coverage of the side of each sample's curve that it keeps over `window`, antialiased like `coverage`.
    func coverage(_ curves: [Curve], in window: Window) throws -> Tensor {
        let (lx, ly, _) = try local(curves.map(\.frame), window)
        let q = try columns(curves.map {
            let g = ($0.frame.inverse.1 * $0.frame.inverse.1).sum().squareRoot()
            return [$0.top, $0.middle, $0.curvature, $0.keepBelow ? 1 : -1, g]
        })
        let boundary = try q[0] + (lx - q[1]).square() * q[2]
        return try (0.5 + (ly - boundary) * q[3] / (q[4] * pixel)).clamp(min: 0, max: 1)
    }

    /// Adds a coverage to the figure (everything but the background), which shading applies to.
    func addFigure(_ coverage: Coverage?) throws {
        guard let coverage else { return }
        let part = try cut(figure, coverage.window)
        try part.copy_(part + coverage.values * (1 - part))
    }

    /// Blends `colour` ([N, 3, 1, 1] or [N, 3, S, S], [0, 1]) in where `coverage` says, with `opacity`, and stamps
    /// `label` into the masks where the coverage exceeds one half. Pixels outside its window are left as they are.
    func paint(_ coverage: Coverage?, _ colour: Tensor, label: FaceClass?, opacity: Double = 1) throws {
        guard let coverage else { return }
        let alpha = try (opacity == 1 ? coverage.values : coverage.values * opacity).unsqueeze(1)
        let part = try cut(image, coverage.window)
        let paint = colour.size(2) == size ? try cut(colour, coverage.window) : colour
        try part.copy_(part + alpha * (paint - part))
        if let label {
            let labels = try cut(mask, coverage.window)
            try labels.copy_(labels.maskedFill(coverage.values.gt(0.5), Double(label.rawValue)))
        }
    }
}

/// A block of pixel rows and columns.
struct Window: Equatable {
    var rows: Range<Int>
    var cols: Range<Int>
}

/// Coverage [N, rows, cols] of one shape per sample over a window of the image.
struct Coverage {
    var values: Tensor
    let window: Window
}
