import Torch

/// StyleGAN2's modulated convolution: the style scales the weight per input channel, demodulation rescales
/// each output channel to unit expected magnitude (eps 1e-8), and upsampling layers run a stride-2 transposed
/// convolution followed by the FIR blur (`conv.weight`, `conv.modulation.*`, `conv.blur.kernel`).
///
/// Two equal forms: `grouped` folds the batch into the weight and runs one grouped convolution (the
/// reference's fused path); `folded` scales the input by the style, runs the shared weight once over the batch
/// and scales the output by the demodulation factors, which is cheaper for batches. `forward` picks the
/// folded form for batches larger than one; a test holds the two equal.
public final class ModulatedConv2d: Module {
    /// [1, out, in, k, k]
    public let weight: Tensor
    public let modulation: EqualLinear
    public let blur: Blur?
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let demodulate: Bool
    public let upsample: Bool
    let scale: Double

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, styleDim: Int, demodulate: Bool = true,
                upsample: Bool = false, blurKernel: [Double] = [1, 3, 3, 1], generator: Torch.Generator? = nil) throws
    {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.demodulate = demodulate
        self.upsample = upsample
        if upsample {
            let factor = 2
            let p = (blurKernel.count - factor) - (kernelSize - 1)
            blur = try Blur(taps: blurKernel, pad: (floorDiv(p + 1, 2) + factor - 1, floorDiv(p, 2) + 1),
                            upsampleFactor: factor)
        } else {
            blur = nil
        }
        scale = 1 / Double(inChannels * kernelSize * kernelSize).squareRoot()
        weight = try Tensor.randn([1, outChannels, inChannels, kernelSize, kernelSize], generator: generator)
        modulation = try EqualLinear(styleDim, inChannels, biasInit: 1, generator: generator)
        super.init()
        try register(parameter: "weight", weight)
        try register(module: "blur", blur)
        try register(module: "modulation", modulation)
    }

    /// x [N, in, H, W], style w [N, style_dim] -> [N, out, H', W'] (H' = 2H when upsampling).
    public func callAsFunction(_ x: Tensor, style: Tensor) throws -> Tensor {
        try x.size(0) > 1 ? folded(x, style: style) : grouped(x, style: style)
    }

    /// The reference's form: per-sample weights, one grouped convolution over the batch.
    public func grouped(_ x: Tensor, style: Tensor) throws -> Tensor {
        let (n, h, w) = try checkInput(x, style: style)
        let k = kernelSize
        let s = try modulation(style).view([n, 1, inChannels, 1, 1])
        var wt = try weight * scale * s  // [N, out, in, k, k]
        if demodulate {
            let d = try (wt.square().sum([2, 3, 4]) + 1e-8).rsqrt()
            wt = try wt * d.view([n, outChannels, 1, 1, 1])
        }
        let input = try x.reshape([1, n * inChannels, h, w])
        if upsample {
            let wT = try wt.transpose(1, 2).reshape([n * inChannels, outChannels, k, k])
            let out = try F.convTranspose2d(input, wT, stride: (2, 2), groups: n)
            return try blur!(out.view([n, outChannels, out.size(2), out.size(3)]))
        }
        let out = try F.conv2d(input, wt.view([n * outChannels, inChannels, k, k]), padding: (k / 2, k / 2), groups: n)
        return try out.view([n, outChannels, h, w])
    }

    /// Style on the input, shared weight, demodulation on the output.
    public func folded(_ x: Tensor, style: Tensor) throws -> Tensor {
        let (n, _, _) = try checkInput(x, style: style)
        let k = kernelSize
        let s = try modulation(style)  // [N, in]
        let base = try weight.squeeze(0) * scale  // [out, in, k, k]
        let input = try x * s.view([n, inChannels, 1, 1])
        var out: Tensor
        if upsample {
            out = try blur!(F.convTranspose2d(input, base.transpose(0, 1), stride: (2, 2)))
        } else {
            out = try F.conv2d(input, base, padding: (k / 2, k / 2))
        }
        if demodulate {
            // sum over (in, k, k) of (w s)^2 = sum_in s_in^2 * sum_kk w^2
            let wSquared = try base.square().sum([2, 3])  // [out, in]
            let d = try (s.square().matmul(wSquared.transpose(0, 1)) + 1e-8).rsqrt()  // [N, out]
            out = try out * d.view([n, outChannels, 1, 1])
        }
        return out
    }

    private func checkInput(_ x: Tensor, style: Tensor) throws -> (Int, Int, Int) {
        try expectInput(x, ["N", .size(inChannels), "H", "W"])
        try expectInput(style, [.size(x.size(0)), .size(modulation.weight.size(1))], name: "style")
        return (x.size(0), x.size(2), x.size(3))
    }

    /// Multiply-adds x 2 of the convolution at input resolution `size` (modulation and blur not counted).
    public func flops(batch: Int, size: Int) -> Int {
        let outSize = upsample ? 2 * size : size
        let positions = upsample ? size * size : outSize * outSize
        return 2 * batch * positions * outChannels * inChannels * kernelSize * kernelSize
    }
}
