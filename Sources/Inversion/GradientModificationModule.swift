import Torch

/// ScaleNorm (Nguyen & Salazar 2019): x g / ||x|| over the last dimension with one learned scalar g (`g`).
///
/// GANI normalises loss gradients with it, so the module sees each row's direction whatever the gradient's scale
/// (gradients of a 1024 generator's weights are around 1e-6 per element). Rows of norm below `eps` are divided
/// by `eps` instead, so a zero gradient maps to zero.
public final class ScaleNorm: Module, Layer {
    /// [1]
    public let g: Tensor
    public let eps: Double

    /// g starts at `scale`: 1 makes the first output a unit vector whatever the row length.
    public init(scale: Double = 1, eps: Double = 1e-12, dtype: DType = .float32, device: Device = .cpu) throws {
        g = try Tensor.full([1], scale, dtype: dtype, device: device)
        self.eps = eps
        super.init()
        try register(parameter: "g", g)
    }

    /// [..., C] -> [..., C]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x * g / x.norm(2, dims: [-1], keepdim: true).clamp(min: eps)
    }
}

/// GANI's gradient modification module M for one conv weight shape (Sheffi, Rotman & Wolf 2023): L residual
/// blocks over row vectors of length c_in,
///
///     r = W2 s(SN2(W1 s(SN1(y)))) + b,   y <- y + r,   s = LeakyReLU(0.01),
///
/// W1, W2 [c_in, c_in] without bias (`blocks.i.fc1.weight`, `blocks.i.fc2.weight`), b [c_in] (`blocks.i.bias`),
/// SN the two ScaleNorms (`blocks.i.norm1.g`, `blocks.i.norm2.g`): 2 c_in² + c_in + 2 parameters per block.
///
/// `delta(forGradient:)` lays a conv weight's gradient [1, c_out, c_in, k, k] out as c_out k k rows of length
/// c_in, maps them and lays the result back, giving Δθ of the weight's shape.
public final class GradientModificationModule: Module, Layer {
    /// One residual block.
    public final class Block: Module, Layer {
        public let norm1: ScaleNorm
        public let fc1: Linear
        public let norm2: ScaleNorm
        public let fc2: Linear
        /// [c_in]
        public let bias: Tensor

        /// W1, W2 Kaiming-normal (PyTorch's default: fan-in, gain sqrt 2) times 0.1, as the paper says; b uniform
        /// in ±0.1/sqrt(c_in), PyTorch's bias bound for that fan-in scaled by 0.1 like the weights (the paper only
        /// says "uniform"; the unscaled bound gives Δθ about 6% at c_in = 64 before any step, which left the tiny
        /// generator's image worse than the pivot's after 100 steps); g = 1. The first Δθ is then about 1%.
        public init(channels c: Int, dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) throws {
            let fc1 = try Linear(c, c, bias: false, dtype: dtype, generator: generator)
            let fc2 = try Linear(c, c, bias: false, dtype: dtype, generator: generator)
            let bias = try Tensor.empty([c], dtype: dtype)
            try withNoGrad {
                let std = 0.1 * (2 / Double(c)).squareRoot()
                try fc1.weight.normal_(std: std, generator: generator)
                try fc2.weight.normal_(std: std, generator: generator)
                let bound = 0.1 / Double(c).squareRoot()
                try bias.uniform_(from: -bound, to: bound, generator: generator)
            }
            norm1 = try ScaleNorm(dtype: dtype)
            self.fc1 = fc1
            norm2 = try ScaleNorm(dtype: dtype)
            self.fc2 = fc2
            self.bias = bias
            super.init()
            try register(module: "norm1", norm1)
            try register(module: "fc1", fc1)
            try register(module: "norm2", norm2)
            try register(module: "fc2", fc2)
            try register(parameter: "bias", bias)
            try to(device: device)
        }

        /// y [..., c_in] -> y + r
        public func callAsFunction(_ y: Tensor) throws -> Tensor {
            let hidden = try F.leakyRelu(norm2(fc1(F.leakyRelu(norm1(y), slope: 0.01))), slope: 0.01)
            return try y + fc2(hidden) + bias
        }
    }

    public let channels: Int
    public let blocks: ModuleList<Block>

    /// A module for weights with `channels` input channels (c_in) and `blocks` residual blocks (L).
    public init(channels: Int, blocks: Int = 1, dtype: DType = .float32, device: Device = .cpu,
                generator: Generator? = nil) throws
    {
        guard channels > 0, blocks > 0 else {
            throw TorchError("a gradient modification module needs positive channels and blocks, got \(channels), \(blocks)")
        }
        self.channels = channels
        self.blocks = try ModuleList((0..<blocks).map { _ in
            try Block(channels: channels, dtype: dtype, device: device, generator: generator)
        })
        super.init()
        try register(module: "blocks", self.blocks)
    }

    /// Parameters of a module: L (2 c_in² + c_in + 2).
    public static func parameterCount(channels c: Int, blocks: Int) -> Int { blocks * (2 * c * c + c + 2) }

    /// rows [..., c_in] -> [..., c_in]
    public func callAsFunction(_ y: Tensor) throws -> Tensor {
        try expectInput(y, [.rest, .size(channels)])
        return try blocks.reduce(y) { try $1($0) }
    }

    /// Δθ for a conv weight from its gradient: [1, c_out, c_in, k, k] -> [1, c_out, c_in, k, k].
    public func delta(forGradient gradient: Tensor) throws -> Tensor {
        try expectInput(gradient, [1, "out", .size(channels), "k", "k"], name: "gradient")
        let (out, k) = (gradient.size(1), gradient.size(3))
        let rows = try gradient.squeeze(0).permute([0, 2, 3, 1]).reshape([out * k * k, channels])
        return try self(rows).reshape([out, k, k, channels]).permute([0, 3, 1, 2]).unsqueeze(0)
    }
}
