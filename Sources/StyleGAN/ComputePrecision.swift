import Torch

/// The dtype activations and convolutions run in. With bfloat16, parameters, styles, demodulation, losses and
/// optimiser state stay float32 (weights are cast as each layer reads them); convolutions run about twice as fast
/// on CPUs with AVX512-BF16 or AMX.
public enum ComputePrecision: String, Codable, CaseIterable, Sendable {
    case float32, bfloat16

    public var dtype: DType { self == .float32 ? .float32 : .bfloat16 }
}
