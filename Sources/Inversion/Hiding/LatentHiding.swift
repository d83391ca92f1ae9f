import Images
import Torch

/// E2Style's secure deep hiding (`scripts/secure_deep_hiding.py`): a secret image travels as its inversion's latent
/// code, hidden in the least significant bits of an ordinary cover photo; the receiver extracts the code and renders
/// the secret with the same generator.
///
///     message   each w+ value rounded (`np.rint`), then a sign bit (1: negative) and its magnitude in 8 bits
///               (clamped to 255; the official script overflows there), 9 bits per value
///     cover     the cover's 8-bit samples in the array's order (rows, columns, channels); their last bits carry the
///               message through a syndrome-trellis code of height 10 with equal costs, so few of them change
///     stego     the cover with its last bits replaced by the code's stego bits
///
/// The recovered code is the rounded one, so the revealed image is the generator's image of rint(w+).
public enum LatentHiding {
    /// Bits per latent value: a sign and an 8-bit magnitude.
    public static let bitsPerValue = 9

    /// The message of a latent code [...] (any shape): 9 bits per value in row-major order.
    public static func message(for latent: Tensor) throws -> [UInt8] {
        let values = try latent.to(dtype: .float32).contiguous().floats()
        var bits = [UInt8](repeating: 0, count: values.count * bitsPerValue)
        for (i, value) in values.enumerated() {
            let rounded = value.rounded(.toNearestOrEven)
            bits[i * bitsPerValue] = rounded < 0 ? 1 : 0
            let magnitude = Int(min(abs(rounded), 255))
            for b in 0..<8 { bits[i * bitsPerValue + 1 + b] = UInt8(magnitude >> (7 - b) & 1) }
        }
        return bits
    }

    /// The latent code [shape] a message carries.
    public static func latent(from bits: [UInt8], shape: [Int]) throws -> Tensor {
        let count = shape.reduce(1, *)
        guard bits.count == count * bitsPerValue else {
            throw InversionError.invalidOption("a latent code of shape \(shape) takes \(count * bitsPerValue) bits, got \(bits.count)")
        }
        let values = (0..<count).map { i -> Float in
            let magnitude = (0..<8).reduce(0) { $0 << 1 | Int(bits[i * bitsPerValue + 1 + $1] & 1) }
            return Float(bits[i * bitsPerValue] == 1 ? -magnitude : magnitude)
        }
        return try Tensor(values, shape: shape)
    }

    /// The stego image: `cover` (8-bit) carrying `latent` in its last bits. Throws when the cover is too small for the
    /// code (9 bits per value).
    public static func hide(_ latent: Tensor, in cover: Image, code: SyndromeTrellisCode? = nil) throws -> Image {
        let code = try code ?? SyndromeTrellisCode()
        guard cover.bitDepth == 8 else {
            throw InversionError.invalidOption("the cover must be an 8-bit image, this one has \(cover.bitDepth)-bit samples")
        }
        let message = try Self.message(for: latent)
        guard cover.pixels.count >= message.count else {
            throw InversionError.invalidOption("the cover's \(cover.pixels.count) samples cannot carry the \(message.count) "
                + "bits of a \(latent.shape) code; use a larger cover")
        }
        let bits = cover.pixels.map { UInt8($0 & 1) }
        let stego = try code.embed(cover: bits, message: message)
        let pixels = zip(cover.pixels, stego).map { ($0 & ~1) | UInt16($1) }
        return try Image(width: cover.width, height: cover.height, channels: cover.channels, bitDepth: 8, pixels: pixels)
    }

    /// The latent code [shape] a stego image carries.
    public static func reveal(_ stego: Image, shape: [Int], code: SyndromeTrellisCode? = nil) throws -> Tensor {
        let code = try code ?? SyndromeTrellisCode()
        let length = shape.reduce(1, *) * bitsPerValue
        guard stego.bitDepth == 8, stego.pixels.count >= length else {
            throw InversionError.invalidOption("an 8-bit image of at least \(length) samples carries a \(shape) code; this "
                + "one has \(stego.pixels.count) \(stego.bitDepth)-bit samples")
        }
        return try latent(from: code.extract(stego.pixels.map { UInt8($0 & 1) }, length: length), shape: shape)
    }
}
