/// Merges dimensions `startDim...endDim` into one, as `torch.nn.Flatten` (by default all but the batch).
public final class Flatten: Module, Layer {
    public let startDim: Int
    public let endDim: Int

    public init(startDim: Int = 1, endDim: Int = -1) {
        self.startDim = startDim
        self.endDim = endDim
        super.init()
    }

    /// [N, C, H, W] -> [N, C * H * W] with the defaults.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try x.flatten(from: startDim, to: endDim) }
}
