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

    public func callAsFunction(_ x: Tensor, noise: Tensor) throws -> Tensor {
        try x + weight * noise
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
    public func callAsFunction(_ x: Tensor, style: Tensor, noise noiseMap: Tensor) throws -> Tensor {
        let out = try activate(noise(conv(x, style: style), noise: noiseMap))
        guard let clamp else { return out }
        return try out.clamp(min: -clamp, max: clamp)
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
    public func callAsFunction(_ x: Tensor, style: Tensor, skip: Tensor?) throws -> Tensor {
        var out = try conv(x, style: style) + bias
        if let clamp { out = try out.clamp(min: -clamp, max: clamp) }
        guard let skip else { return out }
        guard let upsample else { throw TorchError("ToRGB: this layer has no upsampler for a skip input") }
        return try out + upsample(skip)
    }
}
