import Torch

/// leaky_relu(x + bias, 0.2) * sqrt(2): StyleGAN2's bias-and-activation with the gain that keeps the
/// activations' magnitude. `bias` [C] is added along dimension 1.
public func fusedLeakyReLU(_ x: Tensor, bias: Tensor, slope: Double = 0.2, gain: Double = 2.0.squareRoot()) throws
    -> Tensor
{
    var shape = [Int](repeating: 1, count: x.rank)
    shape[1] = bias.count
    return try F.leakyRelu(x + bias.to(dtype: x.dtype).reshape(shape), slope: slope) * gain
}

/// The learned-bias activation after each styled conv (`activate.bias`).
public final class FusedLeakyReLU: Module, Layer {
    /// [C]
    public let bias: Tensor

    public init(channels: Int) throws {
        bias = try Tensor.zeros([channels])
        super.init()
        try register(parameter: "bias", bias)
    }

    /// [N, C, ...] -> [N, C, ...]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(bias.count), .rest])
        return try fusedLeakyReLU(x, bias: bias)
    }
}

/// x / sqrt(mean(x^2 over dim 1) + 1e-8): normalises z before the mapping network.
public final class PixelNorm: Module, Layer {
    public override init() { super.init() }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x * (x.square().mean([1], keepdim: true) + 1e-8).rsqrt()
    }
}
