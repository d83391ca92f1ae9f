import Torch

/// StyleGAN2's modulated convolution: the style scales the weight per input channel, demodulation rescales
/// each output channel to unit expected magnitude (eps 1e-8), and upsampling layers run a stride-2 transposed
/// convolution followed by the FIR blur (`conv.weight`, `conv.modulation.*`, `conv.blur.kernel`).
///
/// `reference` is the reference's computation (per-sample weights, one grouped convolution). The synthesis
/// network calls the fused form, which also takes the layer's output gain and bias, and picks the cheaper of two
/// equal factorisations: per-sample modulated weights (where the activations outnumber the weights), or the
/// shared weight with the style on the input and demodulation on the output (the 512-channel layers at low
/// resolution). Styles and demodulation factors are computed in float32 whatever the activations' dtype. Tests
/// hold both forms equal to the reference.
public final class ModulatedConv2d: Module {
    /// How the fused form factorises the modulation.
    public enum Form: Sendable {
        /// Chosen per call from the sizes of weights and activations.
        case automatic
        /// Weights modulated and demodulated per sample, one convolution per sample.
        case sampleWeights
        /// Shared weight; the style scales the input and demodulation the output.
        case scaledActivations
    }

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

    /// x [N, in, H, W], style w [N, style_dim] -> gain * conv + bias: [N, out, H', W'] (H' = 2H when upsampling);
    /// bias [out] or nil. `weight` [1, out, in, k, k] replaces the stored one when given (generator tuning that
    /// computes the weights from other tensors, so the gradient reaches those).
    public func callAsFunction(_ x: Tensor, style: Tensor, gain: Double = 1, bias: Tensor? = nil,
                               form: Form = .automatic, weight: Tensor? = nil) throws -> Tensor
    {
        let (n, h, w) = try checkInput(x, style: style)
        if let weight, weight.shape != self.weight.shape {
            throw TorchError("replacement conv weight must be \(self.weight.shape), got \(weight.shape)")
        }
        // Styles and demodulation in float32 at least, whatever the activations' dtype.
        let precise: DType = x.dtype == .float64 || self.weight.dtype == .float64 ? .float64 : .float32
        let base = try (weight ?? self.weight).squeeze(0).to(dtype: precise)  // [out, in, k, k]
        let s = try modulation(style, dtype: precise) * scale  // [N, in]
        // Output scale per sample and channel, gain x demodulation; nil without demodulation (then just gain).
        var d: Tensor?  // [N, out]
        if demodulate {
            let wSquared = try base.square().sum([2, 3])  // [out, in]; sum over (in, k, k) of (w s)^2
            d = try (s.square().matmul(wSquared.transpose(0, 1)) + 1e-8).rsqrt() * gain
        }
        let bias = try bias?.to(dtype: x.dtype)
        switch form == .automatic ? cheaperForm(batch: n, height: h, width: w) : form {
        case .sampleWeights:
            let outputs = try (0..<n).map { i in
                let si = try s.select(0, i).view([1, inChannels, 1, 1])
                let scaling = try d.map { try $0.select(0, i).view([outChannels, 1, 1, 1]) * si } ?? si * gain
                let wt = try (base * scaling).to(dtype: x.dtype)
                return try convolve(x.slice(0, i, i + 1), wt, bias: bias)
            }
            return n == 1 ? outputs[0] : try Tensor.cat(outputs, dim: 0)
        default:
            let input = try x * s.to(dtype: x.dtype).view([n, inChannels, 1, 1])
            let out = try convolve(input, base.to(dtype: x.dtype), bias: nil)
            if let d { try out.mul_(d.to(dtype: x.dtype).view([n, outChannels, 1, 1])) } else if gain != 1 { try out.mul_(gain) }
            if let bias { try out.add_(bias.view([1, outChannels, 1, 1])) }
            return out
        }
    }

    /// The convolution proper with weight [out, in, k, k], through the blur when upsampling.
    private func convolve(_ x: Tensor, _ weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard upsample else {
            return try F.conv2d(x, weight, bias: bias, padding: (kernelSize / 2, kernelSize / 2))
        }
        let out = try F.convTranspose2d(x, weight.transpose(0, 1), stride: (2, 2))
        return try blur!(out, bias: bias)
    }

    /// Elements touched per sample beyond the convolution: modulating the weights (read and write), plus
    /// joining the outputs of a batch, against scaling the input and the output (twice: demodulation and bias).
    private func cheaperForm(batch: Int, height: Int, width: Int) -> Form {
        let outSize = upsample ? 4 * height * width : height * width
        let weights = outChannels * inChannels * kernelSize * kernelSize
        let perSampleWeights = 2 * weights + (batch > 1 ? outChannels * outSize : 0)
        let scaledActivations = inChannels * height * width + 2 * outChannels * outSize
        return perSampleWeights <= scaledActivations ? .sampleWeights : .scaledActivations
    }

    /// The reference's form: per-sample weights, one grouped convolution over the batch.
    public func reference(_ x: Tensor, style: Tensor) throws -> Tensor {
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
