@testable import Perception
import Images
import Torch

/// A drawn cartoon face MTCNN finds with a score near 1: no photo can ship with the tests, and this one is made
/// from shapes, so any test can render it at any size.
///
/// Laid out on a 160-pixel canvas and scaled: head and hair ellipses, brows, white eyes with dark irises centred
/// at (62, 73) and (98, 73), a triangular nose, a red mouth centred at (80, 115); blurred by 1.5 px (scaled).
enum SyntheticFace {
    static func tensor(size: Int) throws -> Tensor {
        let s = Double(size) / 160
        let coords = try (Tensor.arange(0, Double(size)) + 0.5) / s  // pixel centres in canvas units
        let x = try coords.reshape([1, size])
        let y = try coords.reshape([size, 1])
        var image = try color(90, 110, 130).expand([1, 3, size, size])
        func paint(_ mask: Tensor, _ rgb: Tensor) throws {
            let m = try mask.to(dtype: .float32)
            image = try image * (1 - m) + rgb * m
        }
        func ellipse(_ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double) throws -> Tensor {
            try (((x - cx) / rx).square() + ((y - cy) / ry).square()).le(1)
        }
        let skin = try color(224, 172, 140)
        let dark = try color(60, 40, 30)
        try paint(ellipse(80, 80, 40, 55), skin)
        try paint(ellipse(80, 40, 52, 20), dark)
        try paint(ellipse(80, 87.5, 40, 47.5), skin)
        for cx in [62.0, 98] {
            try paint(ellipse(cx - 1, 61, 11, 1.5), color(70, 45, 35))
            try paint(ellipse(cx, 73, 10, 5), color(250, 250, 250))
            try paint(ellipse(cx, 73, 5, 5), dark)
        }
        // Nose: below the line y = 75 + (80 - x) * 25 / 8 on the left, y = 75 + (x - 80) * 25 / 8 on the right.
        let nose = try y.le(100).logicalAnd((y - 75).ge((x - 80).abs() * (25.0 / 8)))
        try paint(nose, color(200, 145, 115))
        try paint(ellipse(80, 115, 16, 5), color(170, 70, 70))
        return try BorderFill.gaussianBlur(image, sigma: 1.5 * s).round() / 127.5 - 1
    }

    static func image(size: Int) throws -> Image { try Image(tensor: tensor(size: size)) }

    /// A 320 x 200 picture with two faces: 160 pixels at (10, 20) and 96 pixels at (200, 60).
    static func pair() throws -> Image {
        let canvas = try (color(90, 110, 130) / 127.5 - 1).expand([1, 3, 200, 320]).contiguous()
        for (size, x, y) in [(160, 10, 20), (96, 200, 60)] {
            try canvas.narrow(2, start: y, length: size).narrow(3, start: x, length: size).copy_(tensor(size: size))
        }
        return try Image(tensor: canvas)
    }

    /// An 8-bit level triple as a [1, 3, 1, 1] colour.
    private static func color(_ r: Double, _ g: Double, _ b: Double) throws -> Tensor {
        try Tensor([Float(r), Float(g), Float(b)], shape: [1, 3, 1, 1])
    }
}
