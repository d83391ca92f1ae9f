import Foundation
import Torch

/// Where dlib's face recognition reads a face: `get_face_chip_details(shape, 150, 0.25)` (a similarity fitted from
/// dlib's mean face to the landmarks) and `extract_image_chips` (bilinear sampling of that square, through
/// `pyramid_down<2>` levels first when the square is more than about twice the chip).
///
/// `sample` does it with tensor operations, so the chip passes gradients back to the image. With `quantize` it
/// also truncates to whole levels where dlib does (the pyramid's integer division, the chip's cast to 8 bits), and
/// then equals dlib's chip exactly.
public struct DlibFaceChip: Equatable, Sendable {
    /// dlib's rectangle (left, top, right, bottom; width = right - left + 1) before the rotation.
    public let left: Double, top: Double, right: Double, bottom: Double
    /// Radians the square is turned about its centre.
    public let angle: Double
    /// The chip's side in pixels.
    public let size: Int

    public init(left: Double, top: Double, right: Double, bottom: Double, angle: Double, size: Int) {
        (self.left, self.top, self.right, self.bottom, self.angle, self.size) = (left, top, right, bottom, angle, size)
    }

    /// `get_face_chip_details` for 68 landmarks (33 of them, the eyebrows and the inner lower lip left out, fitted to
    /// dlib's mean face) or for the 5 of `shape_predictor_5_face_landmarks`.
    public init(landmarks: [FacePoint], size: Int = DlibFaceRecognition.chipSize, padding: Double = 0.25) throws {
        var chipPoints: [FacePoint] = [], imagePoints: [FacePoint] = []
        func chip(_ x: Double, _ y: Double) -> FacePoint {
            FacePoint(x: (padding + x) / (2 * padding + 1) * Double(size), y: (padding + y) / (2 * padding + 1) * Double(size))
        }
        switch landmarks.count {
        case 5:
            for (template, point) in zip(Self.fivePointTemplate, landmarks) {
                chipPoints.append(chip(template.x, template.y))
                imagePoints.append(point)
            }
        case 68:
            for index in 17..<68 where !(17...26).contains(index) && !(55...59).contains(index) && !(65...67).contains(index) {
                chipPoints.append(chip(Self.meanFaceX[index - 17], Self.meanFaceY[index - 17]))
                imagePoints.append(landmarks[index])
            }
        default:
            throw DlibError("a face chip needs dlib's 68 or 5 landmarks, got \(landmarks.count)")
        }
        guard size > 0, padding >= 0 else { throw DlibError("a face chip needs a positive size and padding >= 0") }
        let (m, t) = Self.similarity(from: chipPoints, to: imagePoints)
        angle = atan2(m.c, m.a)
        let scale = hypot(m.a, m.c)
        let half = Double(size) / 2
        let cx = m.a * half + m.b * half + t.x, cy = m.c * half + m.d * half + t.y
        let side = Double(size) * scale - 1  // centered_drect shortens both sides by one first
        (left, top, right, bottom) = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
        self.size = size
    }

    /// The chip of a face aligned by the FFHQ script into a `imageSize` square, with no landmarks to go by: the chip
    /// of dlib's mean face after the FFHQ alignment of that mean face itself. Encoders' identity losses read every
    /// aligned image through it, as pSp's ArcFace loss reads a fixed crop.
    public static func ffhqAligned(imageSize: Int, size: Int = DlibFaceRecognition.chipSize) throws -> DlibFaceChip {
        var mean = [FacePoint](repeating: FacePoint(x: 0, y: 0), count: 68)
        for index in 17..<68 { mean[index] = FacePoint(x: meanFaceX[index - 17], y: meanFaceY[index - 17]) }
        let quad = AlignmentQuad(landmarks: try FaceLandmarks(dlib68: mean))
        // The aligned image maps the quad's corners onto its own: top-left to (0, 0), and so on.
        let (origin, across, down) = (quad.topLeft, quad.topRight - quad.topLeft, quad.bottomLeft - quad.topLeft)
        let side = Double(imageSize)
        let aligned = mean.map { p -> FacePoint in
            let q = p - origin
            return FacePoint(x: (q.x * across.x + q.y * across.y) / (across.x * across.x + across.y * across.y) * side - 0.5,
                             y: (q.x * down.x + q.y * down.y) / (down.x * down.x + down.y * down.y) * side - 0.5)
        }
        return try DlibFaceChip(landmarks: aligned, size: size)
    }

    /// Samples the chip from images [N, C, H, W] on the 0-255 scale -> [N, C, size, size], in the images' dtype
    /// (float64 with `quantize`). A chip pixel whose four neighbours are not all inside the image is 0, as dlib's.
    public func sample(_ images: Tensor, quantize: Bool = false) throws -> Tensor {
        guard images.rank == 4, images.size(2) > 0, images.size(3) > 0 else {
            throw TorchError("DlibFaceChip.sample: expected images [N, C, H, W], got \(images.shape)")
        }
        let (height, width) = (images.size(2), images.size(3))
        let source = quantize ? try images.to(dtype: .float64) : images
        let chipArea = Double(size * size)
        // How many pyramid levels dlib builds, and the box around the turned square (grown for their filters).
        var depth = 0, grow = 2.0
        var down = Self.rectDown(rect)
        while Self.area(down) > chipArea {
            down = Self.rectDown(down)
            depth += 1
            grow = grow * 2 + 2
        }
        let corners = [(left, top), (right, top), (left, bottom), (right, bottom)].map { rotated($0.0, $0.1, about: center(rect)) }
        let box = (max(corners.map(\.x).min()! - grow, 0), max(corners.map(\.y).min()! - grow, 0),
                   min(corners.map(\.x).max()! + grow, Double(width - 1)), min(corners.map(\.y).max()! + grow, Double(height - 1)))
        let (boxLeft, boxTop, boxRight, boxBottom) = (Int(box.0.rounded()), Int(box.1.rounded()), Int(box.2.rounded()), Int(box.3.rounded()))
        guard boxRight >= boxLeft, boxBottom >= boxTop else {
            return try Tensor.zeros([images.size(0), images.size(1), size, size], dtype: source.dtype, device: images.device)
        }
        var level = try source.narrow(2, start: boxTop, length: boxBottom - boxTop + 1)
            .narrow(3, start: boxLeft, length: boxRight - boxLeft + 1)
        var local = (left - Double(boxLeft), top - Double(boxTop), right - Double(boxLeft), bottom - Double(boxTop))
        while Self.area(Self.rectDown(local)) > chipArea {
            level = try Self.pyramidDown(level, quantize: quantize)
            local = Self.rectDown(local)
        }
        return try bilinear(level, rect: local, quantize: quantize)
    }

    // MARK: the sampling

    private var rect: (Double, Double, Double, Double) { (left, top, right, bottom) }

    private func center(_ r: (Double, Double, Double, Double)) -> FacePoint { FacePoint(x: (r.0 + r.2) / 2, y: (r.1 + r.3) / 2) }

    private func rotated(_ x: Double, _ y: Double, about c: FacePoint) -> FacePoint {
        let (dx, dy) = (x - c.x, y - c.y)
        return FacePoint(x: cos(angle) * dx - sin(angle) * dy + c.x, y: sin(angle) * dx + cos(angle) * dy + c.y)
    }

    /// dlib's `transform_image` with `interpolate_bilinear` onto the chip: the chip's corners map to the turned
    /// rectangle's, out-of-image pixels are black, and with `quantize` values are truncated as its cast to 8 bits.
    private func bilinear(_ source: Tensor, rect r: (Double, Double, Double, Double), quantize: Bool) throws -> Tensor {
        let (n, channels, height, width) = (source.size(0), source.size(1), source.size(2), source.size(3))
        let c = center(r)
        let origin = rotated(r.0, r.1, about: c), acrossEnd = rotated(r.2, r.1, about: c), downEnd = rotated(r.0, r.3, about: c)
        let last = Double(size - 1)
        let across = FacePoint(x: (acrossEnd.x - origin.x) / last, y: (acrossEnd.y - origin.y) / last)
        let down = FacePoint(x: (downEnd.x - origin.x) / last, y: (downEnd.y - origin.y) / last)
        let count = size * size
        var indices = [Int64](repeating: 0, count: 4 * count)
        var fractions = [Double](repeating: 0, count: 2 * count)
        var inside = [Double](repeating: 0, count: count)
        for y in 0..<size {
            for x in 0..<size {
                let px = origin.x + Double(x) * across.x + Double(y) * down.x
                let py = origin.y + Double(x) * across.y + Double(y) * down.y
                let (l, t) = (px.rounded(.down), py.rounded(.down))
                guard l >= 0, t >= 0, l + 1 < Double(width), t + 1 < Double(height) else { continue }
                let i = y * size + x, base = Int64(t) * Int64(width) + Int64(l)
                indices[i] = base; indices[count + i] = base + 1
                indices[2 * count + i] = base + Int64(width); indices[3 * count + i] = base + Int64(width) + 1
                (fractions[i], fractions[count + i], inside[i]) = (px - l, py - t, 1)
            }
        }
        let device = source.device
        let flat = try source.reshape([n, channels, height * width])
        let picked = try flat.indexSelect(2, Tensor(indices).to(device: device)).reshape([n, channels, 4, count])
        let f = try Tensor(fractions, shape: [2, count]).to(device: device, dtype: source.dtype)
        let (fx, fy) = (try f[0], try f[1])
        // dlib's order of operations, so that whole values stay whole before the truncation.
        let top = try (1 - fx) * picked.select(2, 0) + fx * picked.select(2, 1)
        let bottom = try (1 - fx) * picked.select(2, 2) + fx * picked.select(2, 3)
        let value = try ((1 - fy) * top + fy * bottom) * Tensor(inside).to(device: device, dtype: source.dtype)
        return try (quantize ? value.floor() : value).reshape([n, channels, size, size])
    }

    /// `pyramid_down<2>`: a [1 4 6 4 1]^2 / 256 filter taken at every other pixel, starting at the first full
    /// window ([N, C, H, W] -> [N, C, (H - 3) / 2, (W - 3) / 2]), truncated to whole levels with `quantize`.
    static func pyramidDown(_ x: Tensor, quantize: Bool) throws -> Tensor {
        let (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3))
        guard h > 8, w > 8 else { return try Tensor.zeros([n, c, 0, 0], dtype: x.dtype, device: x.device) }
        let taps: [Double] = [1, 4, 6, 4, 1]
        let kernel = try Tensor(taps.flatMap { a in taps.map { a * $0 / 256 } }, shape: [1, 1, 5, 5]).to(device: x.device, dtype: x.dtype)
        let filtered = try F.conv2d(x.reshape([n * c, 1, h, w]), kernel, stride: (2, 2))
        let out = try filtered.reshape([n, c, filtered.size(2), filtered.size(3)])
        return quantize ? try out.floor() : out
    }

    /// `pyramid_down<2>::rect_down`: where a rectangle lands one level down.
    static func rectDown(_ r: (Double, Double, Double, Double)) -> (Double, Double, Double, Double) {
        (r.0 / 2 - 1.25, r.1 / 2 - 0.75, r.2 / 2 - 1.25, r.3 / 2 - 0.75)
    }

    /// A drectangle's area: (right - left + 1) (bottom - top + 1), 0 when empty.
    static func area(_ r: (Double, Double, Double, Double)) -> Double {
        r.1 > r.3 || r.0 > r.2 ? 0 : (r.2 - r.0 + 1) * (r.3 - r.1 + 1)
    }

    // MARK: the fit

    /// `find_similarity_transform` (Umeyama) from `from` to `to`: p -> M p + t, M = [[a, b], [c, d]]. In 2-D the
    /// optimal rotation and scale have a closed form; mirrored points get the best reflection, as Umeyama's sign fix.
    static func similarity(from: [FacePoint], to: [FacePoint]) -> (m: (a: Double, b: Double, c: Double, d: Double), t: FacePoint) {
        let count = Double(from.count)
        let mf = FacePoint(x: from.map(\.x).reduce(0, +) / count, y: from.map(\.y).reduce(0, +) / count)
        let mt = FacePoint(x: to.map(\.x).reduce(0, +) / count, y: to.map(\.y).reduce(0, +) / count)
        var sigma = 0.0, (p, q, r, s) = (0.0, 0.0, 0.0, 0.0)  // cov = mean((to - mt)(from - mf)^T) = [[p, q], [r, s]]
        for (f, t) in zip(from, to) {
            let (fx, fy, tx, ty) = (f.x - mf.x, f.y - mf.y, t.x - mt.x, t.y - mt.y)
            sigma += fx * fx + fy * fy
            p += tx * fx; q += tx * fy; r += ty * fx; s += ty * fy
        }
        (sigma, p, q, r, s) = (sigma / count, p / count, q / count, r / count, s / count)
        let m: (a: Double, b: Double, c: Double, d: Double)
        guard sigma > 0 else { return ((1, 0, 0, 1), FacePoint(x: mt.x - mf.x, y: mt.y - mf.y)) }
        if p * s - q * r >= 0 {
            m = ((p + s) / sigma, (q - r) / sigma, (r - q) / sigma, (p + s) / sigma)
        } else {
            m = ((p - s) / sigma, (q + r) / sigma, (q + r) / sigma, (s - p) / sigma)
        }
        return (m, FacePoint(x: mt.x - (m.a * mf.x + m.b * mf.y), y: mt.y - (m.c * mf.x + m.d * mf.y)))
    }

    /// dlib's `mean_face_shape_x/y` (landmarks 17-67 of the 68-point model, on a unit square).
    static let meanFaceX: [Double] = [
        0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127,
        0.490127, 0.490127, 0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825,
        0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985,
        0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379,
        0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689,
    ]
    static let meanFaceY: [Double] = [
        0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
        0.203352, 0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758,
        0.179852, 0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233,
        0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805,
        0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
    ]
    /// The 5-point model's template (eye corners, then the nose).
    static let fivePointTemplate: [FacePoint] = [
        FacePoint(x: 0.8595674595992, y: 0.2134981538014), FacePoint(x: 0.6460604764104, y: 0.2289674387677),
        FacePoint(x: 0.1205750620789, y: 0.2137274526848), FacePoint(x: 0.3340850613712, y: 0.2290642403242),
        FacePoint(x: 0.4901123135679, y: 0.6277975316475),
    ]
}
