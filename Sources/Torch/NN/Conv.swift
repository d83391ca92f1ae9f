/// A (height, width) pair for kernel sizes, strides, paddings and dilations. An integer literal means the
/// same value for both, as PyTorch's `_pair`: `kernelSize: 3`, `stride: [2, 1]`.
public struct Size2: Equatable, Hashable, Sendable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    public var h: Int
    public var w: Int

    public init(_ h: Int, _ w: Int) {
        self.h = h
        self.w = w
    }

    public init(_ both: Int) { self.init(both, both) }
    public init(integerLiteral value: Int) { self.init(value) }

    public init(arrayLiteral elements: Int...) {
        precondition(elements.count == 2, "Size2 takes [h, w], got \(elements)")
        self.init(elements[0], elements[1])
    }

    var pair: (Int, Int) { (h, w) }
    public var description: String { "(\(h), \(w))" }
}

/// 2-D convolution, as `torch.nn.Conv2d` (zero padding).
public final class Conv2d: Module, Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Size2
    public let stride: Size2
    public let padding: Size2
    public let dilation: Size2
    public let groups: Int
    /// [out, in/groups, kH, kW]
    public let weight: Tensor
    /// [out], or nil without bias
    public let bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                dilation: Size2 = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
                device: Device = .cpu, generator: Generator? = nil) throws
    {
        try checkConvConfig("Conv2d", inChannels, outChannels, kernelSize, stride, padding, dilation, groups)
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        (weight, self.bias) = try Init.affine(
            weight: [outChannels, inChannels / groups, kernelSize.h, kernelSize.w], bias: bias ? outChannels : nil,
            dtype: dtype, device: device, generator: generator)
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", self.bias)
    }

    /// [N, in, H, W] -> [N, out, H', W'] with H' = (H + 2 pad - dil (k - 1) - 1) / stride + 1
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inChannels), "H", "W"])
        return try F.conv2d(x, weight, bias: bias, stride: stride.pair, padding: padding.pair,
                            dilation: dilation.pair, groups: groups)
    }

    /// [N, out, H', W'] for an input of `inputShape` [N, in, H, W].
    public func outputShape(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 4, inputShape[1] == inChannels else {
            throw TorchError("Conv2d: expected input [N, \(inChannels), H, W], got \(inputShape)")
        }
        func size(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Int { (n + 2 * p - d * (k - 1) - 1) / s + 1 }
        let h = size(inputShape[2], kernelSize.h, stride.h, padding.h, dilation.h)
        let w = size(inputShape[3], kernelSize.w, stride.w, padding.w, dilation.w)
        guard h > 0, w > 0 else { throw TorchError("Conv2d: input \(inputShape) is smaller than the kernel") }
        return [inputShape[0], outChannels, h, w]
    }

    /// Floating-point operations of one call: 2 per multiply-add (each output element takes in/groups * kH * kW),
    /// bias not counted.
    public func flops(inputShape: [Int]) throws -> Int {
        let out = try outputShape(inputShape: inputShape)
        return 2 * out.reduce(1, *) * (inChannels / groups) * kernelSize.h * kernelSize.w
    }
}

/// Transposed 2-D convolution (the gradient of `Conv2d` with respect to its input), as `torch.nn.ConvTranspose2d`.
public final class ConvTranspose2d: Module, Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Size2
    public let stride: Size2
    public let padding: Size2
    /// Extra rows/columns on one side, to pick among the output sizes a strided convolution maps back from.
    public let outputPadding: Size2
    public let dilation: Size2
    public let groups: Int
    /// [in, out/groups, kH, kW]
    public let weight: Tensor
    /// [out], or nil without bias
    public let bias: Tensor?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                outputPadding: Size2 = 0, groups: Int = 1, bias: Bool = true, dilation: Size2 = 1,
                dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) throws
    {
        try checkConvConfig("ConvTranspose2d", inChannels, outChannels, kernelSize, stride, padding, dilation, groups)
        guard outputPadding.h >= 0, outputPadding.w >= 0,
              outputPadding.h < Swift.max(stride.h, dilation.h), outputPadding.w < Swift.max(stride.w, dilation.w)
        else {
            throw TorchError("ConvTranspose2d: output padding \(outputPadding) must be smaller than stride "
                + "\(stride) or dilation \(dilation)")
        }
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        (weight, self.bias) = try Init.affine(
            weight: [inChannels, outChannels / groups, kernelSize.h, kernelSize.w], bias: bias ? outChannels : nil,
            dtype: dtype, device: device, generator: generator)
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", self.bias)
    }

    /// [N, in, H, W] -> [N, out, H', W'] with H' = (H - 1) stride - 2 pad + dil (k - 1) + outPad + 1
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inChannels), "H", "W"])
        return try F.convTranspose2d(x, weight, bias: bias, stride: stride.pair, padding: padding.pair,
                                     outputPadding: outputPadding.pair, dilation: dilation.pair, groups: groups)
    }

    /// [N, out, H', W'] for an input of `inputShape` [N, in, H, W].
    public func outputShape(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 4, inputShape[1] == inChannels else {
            throw TorchError("ConvTranspose2d: expected input [N, \(inChannels), H, W], got \(inputShape)")
        }
        func size(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, _ op: Int) -> Int {
            (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        }
        let h = size(inputShape[2], kernelSize.h, stride.h, padding.h, dilation.h, outputPadding.h)
        let w = size(inputShape[3], kernelSize.w, stride.w, padding.w, dilation.w, outputPadding.w)
        guard h > 0, w > 0 else { throw TorchError("ConvTranspose2d: input \(inputShape) gives an empty output") }
        return [inputShape[0], outChannels, h, w]
    }

    /// Floating-point operations of one call: 2 per multiply-add (each input element feeds out/groups * kH * kW
    /// outputs), bias not counted.
    public func flops(inputShape: [Int]) throws -> Int {
        _ = try outputShape(inputShape: inputShape)
        return 2 * inputShape.reduce(1, *) * (outChannels / groups) * kernelSize.h * kernelSize.w
    }
}

private func checkConvConfig(_ name: String, _ inChannels: Int, _ outChannels: Int, _ kernel: Size2, _ stride: Size2,
                             _ padding: Size2, _ dilation: Size2, _ groups: Int) throws
{
    guard groups > 0, inChannels > 0, outChannels > 0, inChannels % groups == 0, outChannels % groups == 0 else {
        throw TorchError("\(name): channels \(inChannels) -> \(outChannels) must be positive and divisible by "
            + "groups \(groups)")
    }
    guard kernel.h > 0, kernel.w > 0, stride.h > 0, stride.w > 0, dilation.h > 0, dilation.w > 0,
          padding.h >= 0, padding.w >= 0
    else {
        throw TorchError("\(name): kernel \(kernel), stride \(stride) and dilation \(dilation) must be positive "
            + "and padding \(padding) non-negative")
    }
}
