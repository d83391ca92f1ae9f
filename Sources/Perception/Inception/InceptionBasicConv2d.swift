import Torch

/// torchvision's Inception `BasicConv2d` (`conv`, `bn`): convolution without bias, batch norm with eps 0.001 (the
/// TensorFlow value the ported weights were trained with), ReLU.
public final class InceptionBasicConv2d: Module, Layer {
    public let conv: Conv2d
    public let bn: BatchNorm2d

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                dtype: DType = .float32, device: Device = .cpu) throws
    {
        conv = try Conv2d(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                          bias: false, dtype: dtype, device: device)
        bn = try BatchNorm2d(outChannels, eps: 0.001, dtype: dtype, device: device)
        super.init()
        try register(module: "conv", conv)
        try register(module: "bn", bn)
    }

    /// [N, in, H, W] -> [N, out, H', W'] (see `Conv2d`)
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try bn(conv(x)).relu()
    }
}
