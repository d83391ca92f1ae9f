/// Zeroes each element with probability `p` and scales the rest by 1/(1-p) in training; the identity in
/// evaluation, as `torch.nn.Dropout`.
public final class Dropout: Module, Layer {
    public let p: Double

    public init(p: Double = 0.5) throws {
        guard (0...1).contains(p) else { throw TorchError("Dropout: probability must be in [0, 1], got \(p)") }
        self.p = p
        super.init()
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try F.dropout(x, p: p, training: isTraining) }
}
