import Torch

/// The dtype activations and convolutions run in. With bfloat16, parameters, styles, demodulation, losses and
/// optimiser state stay float32 (weights are cast as each layer reads them); convolutions run about twice as fast
/// on CPUs with AVX512-BF16 or AMX.
public enum ComputePrecision: String, Codable, CaseIterable, Sendable {
    case float32, bfloat16

    public var dtype: DType { self == .float32 ? .float32 : .bfloat16 }
}

extension ComputePrecision {
    /// A frozen network made ready to compute in this precision: its floating-point tensors in `dtype` and, in
    /// bfloat16, its 4-D weights channels-last, the layout oneDNN's bfloat16 convolutions run without reordering
    /// (a pSp training step's loss networks about 10% faster here).
    @discardableResult
    public func prepare<M: Module>(_ network: M) throws -> M {
        try network.to(dtype: dtype)
        guard self == .bfloat16 else { return network }
        try withNoGrad {
            for weight in network.parameters() where weight.rank == 4 { try weight.setData(weight.channelsLast()) }
        }
        return network
    }

    /// A float32 tensor as a network computing in this precision takes it (images channels-last in bfloat16).
    public func input(_ x: Tensor) throws -> Tensor {
        let cast = x.dtype == dtype ? x : try x.to(dtype: dtype)
        return self == .bfloat16 && cast.rank == 4 ? try cast.channelsLast() : cast
    }

    /// A network's output back in float32, where losses and their gradients are kept.
    public func output(_ y: Tensor) throws -> Tensor {
        y.dtype == .float32 ? y : try y.to(dtype: .float32)
    }
}
