import Torch

/// One of LPIPS's learned channel weightings (`lin{k}` in the reference, its `NetLinLayer`): a 1x1 convolution to
/// one channel without bias. A dropout sits before it at index 0, so the weight's key is `model.1.weight` as in the
/// published files; the dropout only acts in training, and LPIPS never trains (see `LPIPS.train`).
public final class LPIPSLinear: Module {
    public let model: Sequential
    /// [1, channels, 1, 1], non-negative in the published weights.
    public let conv: Conv2d

    public init(channels: Int, dtype: DType = .float32, device: Device = .cpu) throws {
        conv = try Conv2d(channels, 1, kernelSize: 1, bias: false, dtype: dtype, device: device)
        model = try Sequential(Dropout(p: 0.5), conv)
        super.init()
        try register(module: "model", model)
    }

    /// Squared feature differences [N, C, H, W] -> their weighted channel sum [N, 1, H, W].
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try model(x) }
}
