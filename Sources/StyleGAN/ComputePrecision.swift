import Torch

/// The dtype activations and convolutions run in. With bfloat16, parameters, styles, demodulation, losses and
/// optimiser state stay float32 (weights are cast as each layer reads them); convolutions run about twice as fast
/// on CPUs with AVX512-BF16 or AMX.
public enum ComputePrecision: String, Codable, CaseIterable, Sendable {
    case float32, bfloat16

    public var dtype: DType { self == .float32 ? .float32 : .bfloat16 }
}

extension ComputePrecision {
    /// A float32 tensor as a network computing in this precision takes it.
    public func input(_ x: Tensor) throws -> Tensor {
        x.dtype == dtype ? x : try x.to(dtype: dtype)
    }

    /// A network's output back in float32, where losses and their gradients are kept.
    public func output(_ y: Tensor) throws -> Tensor {
        y.dtype == .float32 ? y : try y.to(dtype: .float32)
    }
}
