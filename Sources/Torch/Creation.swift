import CTorch

/// A seedable random-number generator (libtorch's CPU Philox/MT generator).
///
/// Random tensors are drawn on the CPU and moved, so a seed gives the same values on every device.
public final class Generator: @unchecked Sendable {
    let handle: OpaquePointer

    public init(seed: UInt64) throws {
        var out: OpaquePointer?
        try check(ct_generator_new(seed, &out))
        handle = out!
    }

    deinit { ct_generator_free(handle) }

    public func seed(_ seed: UInt64) throws {
        try withExtendedLifetime(self) { try check(ct_generator_set_seed(handle, seed)) }
    }
}

/// Seeds libtorch's default generator (used when no `Generator` is passed).
public func manualSeed(_ seed: UInt64) { ct_manual_seed(seed) }

extension Tensor {
    private static func factory(_ shape: [Int], _ body: ([Int64], UnsafeMutablePointer<OpaquePointer?>) -> Int32)
        throws -> Tensor
    {
        let dims = shape.map(Int64.init)
        return try produce { body(dims, $0) }
    }

    private static func withGenerator<R>(_ g: Generator?, _ body: (OpaquePointer?) throws -> R) rethrows -> R {
        try withExtendedLifetime(g) { try body(g?.handle) }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try factory(shape) { ct_zeros($0, $0.count, dtype.rawValue, device.code.0, device.code.1, $1) }
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try factory(shape) { ct_ones($0, $0.count, dtype.rawValue, device.code.0, device.code.1, $1) }
    }

    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) throws
        -> Tensor
    {
        try factory(shape) { ct_full($0, $0.count, value, dtype.rawValue, device.code.0, device.code.1, $1) }
    }

    /// Uninitialised memory; only for buffers that are written before they are read.
    public static func empty(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try factory(shape) { ct_empty($0, $0.count, dtype.rawValue, device.code.0, device.code.1, $1) }
    }

    public static func eye(_ n: Int, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try produce { ct_eye(Int64(n), dtype.rawValue, device.code.0, device.code.1, $0) }
    }

    /// Values in [start, end) with the given step, as `torch.arange`.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32,
                              device: Device = .cpu) throws -> Tensor
    {
        try produce { ct_arange(start, end, step, dtype.rawValue, device.code.0, device.code.1, $0) }
    }

    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32,
                                device: Device = .cpu) throws -> Tensor
    {
        try produce { ct_linspace(start, end, Int64(steps), dtype.rawValue, device.code.0, device.code.1, $0) }
    }

    /// Standard normal samples.
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
                             generator: Generator? = nil) throws -> Tensor
    {
        try withGenerator(generator) { g in
            try factory(shape) { ct_randn($0, $0.count, dtype.rawValue, device.code.0, device.code.1, g, $1) }
        }
    }

    /// Uniform samples in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu,
                            generator: Generator? = nil) throws -> Tensor
    {
        try withGenerator(generator) { g in
            try factory(shape) { ct_rand($0, $0.count, dtype.rawValue, device.code.0, device.code.1, g, $1) }
        }
    }

    /// Integers in [low, high).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int], dtype: DType = .int64,
                               device: Device = .cpu, generator: Generator? = nil) throws -> Tensor
    {
        try withGenerator(generator) { g in
            try factory(shape) {
                ct_randint(Int64(low), Int64(high), $0, $0.count, dtype.rawValue, device.code.0, device.code.1, g, $1)
            }
        }
    }

    public static func randperm(_ n: Int, device: Device = .cpu, generator: Generator? = nil) throws -> Tensor {
        try withGenerator(generator) { g in
            try produce { ct_randperm(Int64(n), device.code.0, device.code.1, g, $0) }
        }
    }

    /// Fills in place with N(mean, std) samples.
    public func normal_(mean: Double = 0, std: Double = 1, generator: Generator? = nil) throws {
        try Tensor.withGenerator(generator) { g in try mutate { ct_normal_(handle, mean, std, g) } }
    }

    /// Fills in place with U(from, to) samples.
    public func uniform_(from: Double = 0, to: Double = 1, generator: Generator? = nil) throws {
        try Tensor.withGenerator(generator) { g in try mutate { ct_uniform_(handle, from, to, g) } }
    }

    /// 0/1 samples with the probabilities in `self`.
    public func bernoulli(generator: Generator? = nil) throws -> Tensor {
        try Tensor.withGenerator(generator) { g in try Tensor.produce(self) { ct_bernoulli(handle, g, $0) } }
    }

    public func zerosLike() throws -> Tensor { try .zeros(shape, dtype: dtype, device: device) }
    public func onesLike() throws -> Tensor { try .ones(shape, dtype: dtype, device: device) }
    public func fullLike(_ value: Double) throws -> Tensor { try .full(shape, value, dtype: dtype, device: device) }
}
