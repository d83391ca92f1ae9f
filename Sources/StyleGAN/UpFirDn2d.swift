import Torch

/// upfirdn2d: upsample by zero insertion, pad (negative pads crop), convolve with a 2-D FIR kernel, downsample.
///
/// StyleGAN2 uses it for the [1,3,3,1] blur after transposed convolutions, before downsampling convolutions and
/// for upsampling the RGB skip. The fast path is `F.upfirdn2d` (depthwise convolutions in NHWC memory, zero
/// insertion folded into a strided transposed convolution, a backward that is the op itself so R1 and path
/// length differentiate it cheaply); `reference` is the plain definition kept beside it and a test holds the two
/// equal, gradients included.
public enum UpFirDn2d {
    /// The normalised outer product of a 1-D kernel with itself (`make_kernel`), times `gain`.
    public static func makeKernel(_ taps: [Double], gain: Double = 1) throws -> Tensor {
        let k = try Tensor(taps)
        let kernel = try k.unsqueeze(1).matmul(k.unsqueeze(0))
        return try (kernel / kernel.sum() * gain).to(dtype: .float32)
    }

    /// x [N, C, H, W], kernel [kh, kw]; pad (x0, x1, y0, y1); bias [C] added to the output ->
    /// [N, C, (H*up + y0 + y1 - kh) / down + 1, ...]
    public static func apply(_ x: Tensor, kernel: Tensor, up: Int = 1, down: Int = 1, pad: (Int, Int, Int, Int),
                             bias: Tensor? = nil) throws -> Tensor
    {
        _ = try dims(x)
        let out = try F.upfirdn2d(x, filter: kernel.to(device: x.device, dtype: x.dtype), up: up, down: down, pad: pad)
        guard let bias else { return out }
        return try out + bias.to(dtype: x.dtype).view([1, x.size(1), 1, 1])
    }

    /// The definition, step by step (rosinality's `upfirdn2d_native`).
    public static func reference(_ x: Tensor, kernel: Tensor, up: Int = 1, down: Int = 1,
                                 pad: (Int, Int, Int, Int)) throws -> Tensor
    {
        let (n, c, h, w) = try dims(x)
        var out = try x.reshape([n * c, h, 1, w, 1])
        out = try out.pad([0, up - 1, 0, 0, 0, up - 1])
        out = try out.reshape([n * c, 1, h * up, w * up])
        out = try padOrCrop(out, pad)
        let k = try kernel.flip([0, 1]).to(dtype: x.dtype).reshape([1, 1, kernel.size(0), kernel.size(1)])
        out = try F.conv2d(out, k)
        out = try out.slice(2, 0, out.size(2), step: down).slice(3, 0, out.size(3), step: down)
        return try out.reshape([n, c, out.size(2), out.size(3)])
    }

    private static func dims(_ x: Tensor) throws -> (Int, Int, Int, Int) {
        let s = x.shape
        guard s.count == 4 else { throw TorchError("upfirdn2d: expected input [N, C, H, W], got \(s)") }
        return (s[0], s[1], s[2], s[3])
    }

    /// Positive pads add zeros, negative pads crop; (x0, x1, y0, y1).
    private static func padOrCrop(_ x: Tensor, _ pad: (Int, Int, Int, Int)) throws -> Tensor {
        var out = try x.pad([max(pad.0, 0), max(pad.1, 0), max(pad.2, 0), max(pad.3, 0)])
        let (h, w) = (out.size(2), out.size(3))
        out = try out.slice(2, max(-pad.2, 0), h - max(-pad.3, 0)).slice(3, max(-pad.0, 0), w - max(-pad.1, 0))
        return out
    }
}

/// FIR blur with fixed padding (`blur.kernel` buffer), after the transposed convolution of upsampling layers.
public final class Blur: Module {
    /// [k, k]
    public let kernel: Tensor
    public let pad: (Int, Int)

    public init(taps: [Double], pad: (Int, Int), upsampleFactor: Int = 1) throws {
        kernel = try UpFirDn2d.makeKernel(taps, gain: Double(upsampleFactor * upsampleFactor))
        self.pad = pad
        super.init()
        try register(buffer: "kernel", kernel)
    }

    /// [N, C, H, W] -> [N, C, H + pad0 + pad1 - k + 1, ...]
    /// A per-channel bias [C], when given, is added in the same pass.
    public func callAsFunction(_ x: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try UpFirDn2d.apply(x, kernel: kernel, pad: (pad.0, pad.1, pad.0, pad.1), bias: bias)
    }
}

/// 2x FIR upsampling of the RGB skip (`upsample.kernel` buffer).
public final class Upsample: Module, Layer {
    /// [k, k]
    public let kernel: Tensor
    public let factor: Int
    let pad: (Int, Int)

    public init(taps: [Double], factor: Int = 2) throws {
        kernel = try UpFirDn2d.makeKernel(taps, gain: Double(factor * factor))
        self.factor = factor
        let p = taps.count - factor
        pad = (floorDiv(p + 1, 2) + factor - 1, floorDiv(p, 2))
        super.init()
        try register(buffer: "kernel", kernel)
    }

    /// [N, C, H, W] -> [N, C, factor H, factor W]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try UpFirDn2d.apply(x, kernel: kernel, up: factor, pad: (pad.0, pad.1, pad.0, pad.1))
    }
}

/// Python's `//`: division rounding toward negative infinity, as the reference's padding arithmetic uses it.
func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
