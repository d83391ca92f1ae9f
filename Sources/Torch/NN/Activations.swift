/// max(x, 0), as `torch.nn.ReLU`.
public final class ReLU: Module, Layer {
    override public init() { super.init() }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// x where x >= 0, slope * x elsewhere, as `torch.nn.LeakyReLU`.
public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Double

    public init(negativeSlope: Double = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try F.leakyRelu(x, slope: negativeSlope) }
}

/// Leaky ReLU with a learned slope, one shared or one per channel, as `torch.nn.PReLU`.
public final class PReLU: Module, Layer {
    public let numParameters: Int
    /// [numParameters] slopes, initialised to `initialValue`.
    public let weight: Tensor

    public init(numParameters: Int = 1, initialValue: Double = 0.25, dtype: DType = .float32,
                device: Device = .cpu) throws
    {
        guard numParameters > 0 else { throw TorchError("PReLU: numParameters must be positive, got \(numParameters)") }
        self.numParameters = numParameters
        weight = try Tensor.full([numParameters], initialValue, dtype: dtype, device: device)
        super.init()
        try register(parameter: "weight", weight)
    }

    /// Any shape with one slope; [N, C, ...] with C = numParameters otherwise.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        if numParameters > 1 { try expectInput(x, ["N", .size(numParameters), .rest]) }
        return try F.prelu(x, weight: weight)
    }
}

/// 1 / (1 + e^-x), as `torch.nn.Sigmoid`.
public final class Sigmoid: Module, Layer {
    override public init() { super.init() }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
}

/// Hyperbolic tangent, as `torch.nn.Tanh`.
public final class Tanh: Module, Layer {
    override public init() { super.init() }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.tanh() }
}
