import Torch

/// Convolution with equalised learning rate, as rosinality's `EqualConv2d`: N(0, 1) weights scaled at run time by
/// 1 / sqrt(in k²) (`weight` [out, in, k, k], `bias` [out]).
public final class EqualConv2d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int
    let scale: Double

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, generator: Torch.Generator? = nil) throws
    {
        weight = try Tensor.randn([outChannels, inChannels, kernelSize, kernelSize], generator: generator)
        self.bias = bias ? try Tensor.zeros([outChannels]) : nil
        self.stride = stride
        self.padding = padding
        scale = 1 / Double(inChannels * kernelSize * kernelSize).squareRoot()
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", self.bias)
    }

    public var inChannels: Int { weight.size(1) }
    public var outChannels: Int { weight.size(0) }
    public var kernelSize: Int { weight.size(2) }

    /// [N, in, H, W] -> [N, out, (H + 2 pad - k) / stride + 1, ...]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inChannels), "H", "W"])
        // Weights cast to the activations' dtype (bfloat16 training keeps float32 parameters).
        return try F.conv2d(x, (weight * scale).to(dtype: x.dtype), bias: bias?.to(dtype: x.dtype), stride: (stride, stride),
                            padding: (padding, padding))
    }

    /// Multiply-adds x 2 for an input of `size` x `size` (bias not counted).
    public func flops(batch: Int, size: Int) -> Int {
        let out = (size + 2 * padding - kernelSize) / stride + 1
        return 2 * batch * out * out * outChannels * inChannels * kernelSize * kernelSize
    }
}

/// rosinality's `ConvLayer`, an `nn.Sequential`: [Blur,] EqualConv2d[, FusedLeakyReLU], children named "0", "1", "2"
/// in that order. Downsampling layers blur, then convolve with stride 2 and no padding; the others pad k / 2.
/// An activated layer keeps its bias in the activation (`N.bias`), not in the convolution.
public final class ConvLayer: Module, Layer {
    public let blur: Blur?
    public let conv: EqualConv2d
    public let activate: FusedLeakyReLU?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, downsample: Bool = false,
                blurKernel: [Double] = [1, 3, 3, 1], bias: Bool = true, activate: Bool = true,
                generator: Torch.Generator? = nil) throws
    {
        guard bias || !activate else { throw TorchError("ConvLayer: an activated layer without bias is not supported") }
        if downsample {
            let p = (blurKernel.count - 2) + (kernelSize - 1)
            blur = try Blur(taps: blurKernel, pad: (floorDiv(p + 1, 2), floorDiv(p, 2)))
        } else {
            blur = nil
        }
        conv = try EqualConv2d(inChannels, outChannels, kernelSize: kernelSize, stride: downsample ? 2 : 1,
                               padding: downsample ? 0 : kernelSize / 2, bias: bias && !activate, generator: generator)
        self.activate = activate ? try FusedLeakyReLU(channels: outChannels) : nil
        super.init()
        var index = 0
        for child in [blur, conv, self.activate] as [Module?] {
            guard let child else { continue }
            try register(module: String(index), child)
            index += 1
        }
    }

    /// [N, in, H, W] -> [N, out, H', W'] (H' = H / 2 when downsampling)
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var out = try blur.map { try $0(x) } ?? x
        out = try conv(out)
        return try activate.map { try $0(out) } ?? out
    }

    /// Convolution FLOPs for an input of `size` x `size` (blur and activation not counted).
    public func flops(batch: Int, size: Int) -> Int {
        guard let blur else { return conv.flops(batch: batch, size: size) }
        return conv.flops(batch: batch, size: size + blur.pad.0 + blur.pad.1 - blur.kernel.size(0) + 1)
    }
}

/// rosinality's discriminator `ResBlock`: two 3x3 convs (the second downsampling) beside a 1x1 downsampling skip
/// without bias or activation, summed and divided by sqrt 2 (`conv1`, `conv2`, `skip`).
///
/// rosinality builds the block's layers with the default [1, 3, 3, 1] filter whatever `blur_kernel` says; here the
/// discriminator's filter is used, which is the same for every published configuration.
public final class ResBlock: Module, Layer {
    public let conv1: ConvLayer
    public let conv2: ConvLayer
    public let skip: ConvLayer

    public init(_ inChannels: Int, _ outChannels: Int, blurKernel: [Double] = [1, 3, 3, 1],
                generator: Torch.Generator? = nil) throws
    {
        conv1 = try ConvLayer(inChannels, inChannels, kernelSize: 3, blurKernel: blurKernel, generator: generator)
        conv2 = try ConvLayer(inChannels, outChannels, kernelSize: 3, downsample: true, blurKernel: blurKernel,
                              generator: generator)
        skip = try ConvLayer(inChannels, outChannels, kernelSize: 1, downsample: true, blurKernel: blurKernel,
                             bias: false, activate: false, generator: generator)
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "conv2", conv2)
        try register(module: "skip", skip)
    }

    /// [N, in, H, W] -> [N, out, H / 2, W / 2]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try conv2(conv1(x))
        return try (out + skip(x)) / 2.0.squareRoot()
    }

    /// Convolution FLOPs for an input of `size` x `size`.
    public func flops(batch: Int, size: Int) -> Int {
        conv1.flops(batch: batch, size: size) + conv2.flops(batch: batch, size: size) + skip.flops(batch: batch, size: size)
    }
}
