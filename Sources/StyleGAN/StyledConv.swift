import Torch

/// Learned per-layer noise: x + weight * noise, noise [N or 1, 1, H, W] (`noise.weight`).
public final class NoiseInjection: Module {
    /// [1]
    public let weight: Tensor

    /// Strength starts at 0, so a new layer adds no noise until trained.
    public init(strength: Double) throws {
        weight = try Tensor.full([1], strength)
        super.init()
        try register(parameter: "weight", weight)
    }

    /// x += gain * weight * noise in place; the scaled map is [N or 1, 1, H, W], far smaller than x.
    func addScaled(to x: Tensor, noise: Tensor, gain: Double) throws {
        try x.add_(noise.to(dtype: x.dtype) * (weight.to(dtype: x.dtype) * gain))
    }
}

/// The learned 4x4 input of the synthesis network (`input.input`).
public final class ConstantInput: Module {
    /// [1, C, 4, 4]
    public let input: Tensor

    public init(channels: Int, size: Int = 4, generator: Torch.Generator? = nil) throws {
        input = try Tensor.randn([1, channels, size, size], generator: generator)
        super.init()
        try register(parameter: "input", input)
    }

    /// The constant repeated over the batch: [N, C, 4, 4].
    public func callAsFunction(batch: Int) throws -> Tensor {
        try input.expand([batch, input.size(1), input.size(2), input.size(3)])
    }
}

/// Modulated conv, noise, bias and activation: one layer of the synthesis network
/// (`conv`, `noise`, `activate`).
public final class StyledConv: Module {
    public let conv: ModulatedConv2d
    public let noise: NoiseInjection
    public let activate: FusedLeakyReLU
    /// Output clamp (NVIDIA's `conv_clamp`), nil for none.
    public let clamp: Double?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, styleDim: Int, upsample: Bool = false,
                blurKernel: [Double], clamp: Double? = nil, generator: Torch.Generator? = nil) throws
    {
        self.clamp = clamp
        conv = try ModulatedConv2d(inChannels, outChannels, kernelSize: kernelSize, styleDim: styleDim,
                                   upsample: upsample, blurKernel: blurKernel, generator: generator)
        noise = try NoiseInjection(strength: 0)
        activate = try FusedLeakyReLU(channels: outChannels)
        super.init()
        try register(module: "conv", conv)
        try register(module: "noise", noise)
        try register(module: "activate", activate)
    }

    /// x [N, in, H, W], style [N, D], noise [N or 1, 1, H', W'] -> [N, out, H', W']
    ///
    /// leaky_relu(conv + noise + bias) * sqrt 2 computed as leaky_relu(sqrt 2 (conv + noise + bias)): the gain
    /// goes into the demodulation factors and the bias into the convolution, and the rest runs in place.
    public func callAsFunction(_ x: Tensor, style: Tensor, noise noiseMap: Tensor) throws -> Tensor {
        try forward(x, style: style, noise: noiseMap, weight: nil)
    }

    /// The layer, with `weight` in place of the conv's own when given (see `WeightOverrides.swift`).
    func forward(_ x: Tensor, style: Tensor, noise noiseMap: Tensor, weight: Tensor?) throws -> Tensor {
        let gain = 2.0.squareRoot()
        let out = try conv(x, style: style, gain: gain, bias: activate.bias * gain, weight: weight)
        try noise.addScaled(to: out, noise: noiseMap, gain: gain)
        // clamp(leaky(y), ±c) = leaky(clamp(y, -c / 0.2, c)); clamping first keeps the in-place activation
        // the last op, which autograd allows.
        let y = try clamp.map { try out.clamp(min: -$0 / 0.2, max: $0) } ?? out
        try y.leakyRelu_(slope: 0.2)
        return y
    }
}

/// 1x1 modulated conv to RGB without demodulation, plus bias, plus the upsampled previous RGB
/// (`conv`, `bias`, `upsample.kernel`).
public final class ToRGB: Module {
    public let upsample: Upsample?
    public let conv: ModulatedConv2d
    /// [1, 3, 1, 1]
    public let bias: Tensor
    /// Clamp of this layer's own output before the skip is added (NVIDIA's `conv_clamp`), nil for none.
    public let clamp: Double?

    public init(_ inChannels: Int, styleDim: Int, upsample: Bool = true, blurKernel: [Double], clamp: Double? = nil,
                generator: Torch.Generator? = nil) throws
    {
        self.clamp = clamp
        self.upsample = upsample ? try Upsample(taps: blurKernel) : nil
        conv = try ModulatedConv2d(inChannels, 3, kernelSize: 1, styleDim: styleDim, demodulate: false,
                                   generator: generator)
        bias = try Tensor.zeros([1, 3, 1, 1])
        super.init()
        try register(module: "upsample", self.upsample)
        try register(module: "conv", conv)
        try register(parameter: "bias", bias)
    }

    /// x [N, C, H, W], style [N, D], skip [N, 3, H/2, W/2] -> [N, 3, H, W]
    ///
    /// Half-precision activations enter the RGB path as float32 (the generator rounds only the final image):
    /// three channels cost little, and rounding the 1x1 convolution and the running image cost about 1.6 dB of
    /// PSNR at 1024.
    public func callAsFunction(_ x: Tensor, style: Tensor, skip: Tensor?) throws -> Tensor {
        let x = try [.bfloat16, .float16].contains(x.dtype) ? x.to(dtype: .float32) : x
        var out = try conv(x, style: style, bias: bias.view([3]))
        if let clamp { out = try out.clamp(min: -clamp, max: clamp) }
        guard let skip else { return out }
        guard let upsample else { throw TorchError("ToRGB: this layer has no upsampler for a skip input") }
        try out.add_(upsample(skip))
        return out
    }
}
