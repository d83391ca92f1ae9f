/// Weight initialisers, as `torch.nn.init`. Each fills in place without recording gradients.
public enum Init {
    /// PyTorch's fan-in and fan-out of a weight: dims 1 and 0 times the kernel size. For a transposed
    /// convolution ([in, out/groups, k, k]) that makes fan-in out/groups * k * k, which PyTorch also does.
    public static func fans(_ shape: [Int]) throws -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else {
            throw TorchError("Init: fan in and fan out need at least 2 dimensions, got \(shape)")
        }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// U(-bound, bound).
    public static func uniform_(_ t: Tensor, bound: Double, generator: Generator? = nil) throws {
        try withNoGrad { try t.uniform_(from: -bound, to: bound, generator: generator) }
    }

    /// He uniform in fan-in mode for a leaky ReLU of slope `a`: bound = sqrt(6 / ((1 + a^2) fan_in)).
    /// Linear and convolution layers use a = sqrt(5), which gives bound 1/sqrt(fan_in).
    public static func kaimingUniform_(_ t: Tensor, a: Double = 0, generator: Generator? = nil) throws {
        let fanIn = try fans(t.shape).fanIn
        guard fanIn > 0 else { return }
        try uniform_(t, bound: (6 / ((1 + a * a) * Double(fanIn))).squareRoot(), generator: generator)
    }

    /// Glorot uniform: bound = gain * sqrt(6 / (fan_in + fan_out)).
    public static func xavierUniform_(_ t: Tensor, gain: Double = 1, generator: Generator? = nil) throws {
        let (fanIn, fanOut) = try fans(t.shape)
        try uniform_(t, bound: gain * (6 / Double(fanIn + fanOut)).squareRoot(), generator: generator)
    }

    /// A new CPU tensor filled by `fill`, then moved: generators draw on the CPU, so a seed gives the same
    /// weights on every device.
    static func tensor(_ shape: [Int], dtype: DType, device: Device, fill: (Tensor) throws -> Void) throws -> Tensor {
        let t = try Tensor.empty(shape, dtype: dtype)
        try fill(t)
        return device == .cpu ? t : try t.to(device: device)
    }

    /// The weight and optional bias of a linear or convolution layer, initialised as PyTorch's
    /// `reset_parameters`: kaiming uniform (a = sqrt(5)) weight, bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    static func affine(weight shape: [Int], bias biasSize: Int?, dtype: DType, device: Device,
                       generator: Generator?) throws -> (weight: Tensor, bias: Tensor?)
    {
        guard dtype.isFloatingPoint else { throw TorchError("layer dtype must be floating point, got \(dtype)") }
        let weight = try tensor(shape, dtype: dtype, device: device) {
            try kaimingUniform_($0, a: 5.0.squareRoot(), generator: generator)
        }
        let fanIn = try fans(shape).fanIn
        let bias = try biasSize.map { size in
            try tensor([size], dtype: dtype, device: device) {
                try uniform_($0, bound: fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0, generator: generator)
            }
        }
        return (weight, bias)
    }
}
