/// y = x W^T + b over the last dimension, as `torch.nn.Linear`.
public final class Linear: Module, Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    /// [out, in]
    public let weight: Tensor
    /// [out], or nil without bias
    public let bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
                device: Device = .cpu, generator: Generator? = nil) throws
    {
        guard inFeatures >= 0, outFeatures >= 0 else {
            throw TorchError("Linear: feature counts must be non-negative, got \(inFeatures) -> \(outFeatures)")
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        (weight, self.bias) = try Init.affine(weight: [outFeatures, inFeatures], bias: bias ? outFeatures : nil,
                                              dtype: dtype, device: device, generator: generator)
        super.init()
        try register(parameter: "weight", weight)
        try register(parameter: "bias", self.bias)
    }

    /// [..., in] -> [..., out]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, [.rest, .size(inFeatures)])
        return try F.linear(x, weight, bias: bias)
    }

    /// Floating-point operations of one call on `inputShape` ([..., in]): 2 per multiply-add, bias not counted.
    public func flops(inputShape: [Int]) throws -> Int {
        guard inputShape.last == inFeatures else {
            throw TorchError("Linear: expected input [..., \(inFeatures)], got \(inputShape)")
        }
        return 2 * inputShape.dropLast().reduce(1, *) * inFeatures * outFeatures
    }
}
