import Torch

/// Linear layer with equalised learning rate, as rosinality's `EqualLinear`.
///
/// Weights are stored divided by `lrMul` and scaled at run time by lrMul / sqrt(in), so that every layer learns
/// at the same rate whatever its fan-in; the mapping network uses lrMul 0.01.
public final class EqualLinear: Module, Layer {
    /// [out, in]
    public let weight: Tensor
    /// [out]
    public let bias: Tensor?
    public let lrMul: Double
    public let scale: Double
    /// Whether the output goes through the fused leaky ReLU (bias inside, gain sqrt 2).
    public let activated: Bool

    public init(_ inDim: Int, _ outDim: Int, bias: Bool = true, biasInit: Double = 0, lrMul: Double = 1,
                activated: Bool = false, generator: Torch.Generator? = nil) throws
    {
        weight = try Tensor.randn([outDim, inDim], generator: generator) / lrMul
        self.bias = bias ? try Tensor.full([outDim], biasInit) : nil
        self.lrMul = lrMul
        scale = lrMul / Double(inDim).squareRoot()
        self.activated = activated
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", self.bias)
    }

    /// [N, in] -> [N, out]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try callAsFunction(x, dtype: weight.dtype)
    }

    /// The same layer computed in `dtype` whatever the parameters' dtype: a bfloat16 generator still derives
    /// its styles and demodulation in float32.
    public func callAsFunction(_ x: Tensor, dtype: DType) throws -> Tensor {
        try expectInput(x, [.rest, .size(weight.size(1))])
        let x = try x.to(dtype: dtype)
        let w = try weight.to(dtype: dtype) * scale
        guard let bias else { return try F.linear(x, w) }
        let b = try bias.to(dtype: dtype) * lrMul
        if activated { return try fusedLeakyReLU(F.linear(x, w), bias: b) }
        return try F.linear(x, w, bias: b)
    }
}
