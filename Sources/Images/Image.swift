/// A decoded raster image: interleaved samples, row-major, top row first.
///
/// Samples are `UInt16` at both bit depths, so 8-bit and 16-bit images share one type and one code path;
/// an 8-bit image holds values 0...255 and costs twice the memory it strictly needs, which is small next
/// to the tensors made from it. The value is immutable and checked on creation, so every `Image` can be
/// written as PNG and converted to a tensor.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// 8 or 16.
    public let bitDepth: Int
    /// `height * width * channels` samples: pixel (x, y) starts at `(y * width + x) * channels`.
    public let pixels: [UInt16]

    /// Checks that the sizes agree and every sample fits in `bitDepth` bits.
    public init(width: Int, height: Int, channels: Int, bitDepth: Int, pixels: [UInt16]) throws {
        guard width > 0, height > 0 else {
            throw ImageError(.invalid, "image size \(width) x \(height) is empty or negative")
        }
        guard (1...4).contains(channels) else {
            throw ImageError(.invalid,
                             "\(channels) channels; an image has 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ImageError(.invalid, "bit depth \(bitDepth); an image has 8 or 16 bits per sample")
        }
        guard pixels.count == width * height * channels else {
            throw ImageError(.invalid, "\(pixels.count) samples for \(width) x \(height) x \(channels)")
        }
        if bitDepth == 8, let large = pixels.first(where: { $0 > 255 }) {
            throw ImageError(.invalid, "sample \(large) does not fit in 8 bits")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.pixels = pixels
    }

    /// The largest sample value: 255 or 65535.
    public var maxValue: Int { bitDepth == 16 ? 65535 : 255 }

    /// Whether the last channel is alpha (gray+alpha or RGBA).
    public var hasAlpha: Bool { channels == 2 || channels == 4 }

    /// One sample; traps when out of range, like an array index.
    public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt16 {
        precondition((0..<width).contains(x) && (0..<height).contains(y) && (0..<channels).contains(channel),
                     "pixel (\(x), \(y)) channel \(channel) outside a \(width) x \(height) x \(channels) image")
        return pixels[(y * width + x) * channels + channel]
    }
}
