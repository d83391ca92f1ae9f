import Torch

/// e4e's `LatentCodesDiscriminator(style_dim, 4)`: an MLP telling codes w from the mapping network's (real) apart from
/// the encoder's: `mlp.0`, `mlp.2`, `mlp.4` Linear(D, D) each followed by LeakyReLU(0.2), then `mlp.6` Linear(D, 1).
/// 788,481 parameters at D = 512.
public final class LatentCodesDiscriminator: Module {
    public let mlp: Sequential

    public init(styleDim: Int = 512, nMLP: Int = 4) throws {
        var layers: [any Layer] = []
        for _ in 0..<(nMLP - 1) {
            layers.append(try Linear(styleDim, styleDim))
            layers.append(LeakyReLU(negativeSlope: 0.2))
        }
        layers.append(try Linear(styleDim, 1))
        mlp = try Sequential(layers)
        super.init()
        try register(module: "mlp", mlp)
    }

    /// w [..., D] -> logits [..., 1]
    public func callAsFunction(_ w: Tensor) throws -> Tensor { try mlp(w) }
}
