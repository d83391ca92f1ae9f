/// Returns its input, as `torch.nn.Identity`: stands in for an optional stage so the surrounding structure
/// (and its state-dict keys) stays the same.
public final class Identity: Module, Layer {
    override public init() { super.init() }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { x }
}
