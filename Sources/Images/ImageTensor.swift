import Torch

/// Conversion between images and the [-1, 1] float tensors StyleGAN generators produce and consume.
extension Image {
    /// The image as float32 [1, 3, H, W] in [-1, 1] on `device`: each sample v becomes v / max * 2 - 1,
    /// with max 255 or 65535 by bit depth.
    ///
    /// Gray is repeated into the three RGB channels. Alpha is dropped, not composited onto a background:
    /// the colour under a transparent pixel comes through unchanged.
    public func tensor(device: Device = .cpu) throws -> Tensor {
        let hwc = [height, width, channels]
        let samples = if bitDepth == 8 {
            try Tensor(bytes: pixels.map { UInt8(truncatingIfNeeded: $0) }, shape: hwc, dtype: .uint8)
        } else {
            try Tensor(pixels.map(Int32.init), shape: hwc)  // no uint16 dtype; int32 holds 0...65535
        }
        // Copy the integers (the smaller form) to the device, then convert there.
        let chw = try samples.to(device: device).permute([2, 0, 1])
        let rgb = try channels < 3 ? chw.narrow(0, start: 0, length: 1).expand([3, height, width])
            : chw.narrow(0, start: 0, length: 3)
        return try ((rgb.to(dtype: .float32) / Double(maxValue)) * 2 - 1).unsqueeze(0).contiguous()
    }

    /// An image from a tensor in [-1, 1]: [C, H, W] or [1, C, H, W] with C = 1 (gray), 2, 3 (RGB) or 4.
    ///
    /// Values are clamped to [-1, 1] (NaN counts as -1), mapped by (x + 1) / 2 * max and rounded half away
    /// from zero (as C's `round`, not torch.round's half to even), so 0 becomes 128 at 8 bits. The tensor may be on any device
    /// and need not be float32; it is not modified and gradients are not tracked.
    public init(tensor: Tensor, bitDepth: Int = 8) throws {
        let shape = tensor.shape
        guard shape.count == 3 || (shape.count == 4 && shape[0] == 1) else {
            throw ImageError(.invalid, "image tensor of shape \(shape); expected [C, H, W] or [1, C, H, W]")
        }
        let (c, h, w) = (shape[shape.count - 3], shape[shape.count - 2], shape[shape.count - 1])
        guard (1...4).contains(c) else {
            throw ImageError(.invalid, "image tensor of shape \(shape) has \(c) channels; expected 1 to 4")
        }
        guard bitDepth == 8 || bitDepth == 16 else {
            throw ImageError(.invalid, "bit depth \(bitDepth); an image has 8 or 16 bits per sample")
        }
        let maxValue = bitDepth == 16 ? 65535.0 : 255.0
        // float64 so that exact halves such as 127.5 stay exact before rounding.
        var x = try tensor.detach().reshape([c, h, w]).to(dtype: .float64)
        x = try x.maskedFill(x.isnan(), -1).clamp(min: -1, max: 1)
        // x >= 0 here, so floor(x + 0.5) rounds halves away from zero (torch.round would round to even).
        x = try ((x + 1) * (maxValue / 2) + 0.5).floor()
        let samples = try x.permute([1, 2, 0]).to(dtype: .int32).array(of: Int32.self)
        try self.init(width: w, height: h, channels: c, bitDepth: bitDepth,
                      pixels: samples.map { UInt16(truncatingIfNeeded: $0) })
    }

    /// One image per item of a batch [N, C, H, W] in [-1, 1], as `init(tensor:bitDepth:)`.
    public static func images(from batch: Tensor, bitDepth: Int = 8) throws -> [Image] {
        let shape = batch.shape
        guard shape.count == 4 else {
            throw ImageError(.invalid, "image batch of shape \(shape); expected [N, C, H, W]")
        }
        return try (0..<shape[0]).map { try Image(tensor: batch.select(0, $0), bitDepth: bitDepth) }
    }
}
