import StyleGAN
import Torch

/// Fresh weights drawn from a run's own generator, as each layer's PyTorch initialiser draws them (convolutions and
/// linear layers: `reset_parameters`' kaiming-uniform weight and uniform bias; `EqualLinear`: N(0, 1) / lr_mul).
///
/// The layers' own initialisers draw from libtorch's process-wide generator, which anything else in the process may
/// draw from at the same time; redrawing from a generator of the run's seed makes a fresh run's weights, and so a
/// resumed run's comparison with it, independent of what else runs. Layers with constant initial values (batch norms,
/// PReLU) keep them; a layer with random initial values not listed here is refused rather than left unseeded.
enum SeededInitialization {
    static func apply(_ module: Module, generator: Torch.Generator) throws {
        try withNoGrad {
            for child in module.modules() {
                switch child {
                case let conv as Conv2d:
                    try affine(conv.weight, conv.bias, generator: generator)
                case let linear as Linear:
                    try affine(linear.weight, linear.bias, generator: generator)
                case let equal as EqualLinear:
                    try equal.weight.copy_(Tensor.randn(equal.weight.shape, generator: generator) / equal.lrMul)
                case is BatchNorm, is PReLU:
                    continue
                default:
                    try refuseUnlisted(child, scheme: "seeded")
                }
            }
        }
    }

    /// Throws for a module with parameters of its own that an initialisation (`scheme`) does not list: it would keep
    /// values drawn from libtorch's shared generator.
    static func refuseUnlisted(_ child: Module, scheme: String) throws {
        let own = child.namedParameters(recurse: false)
        guard own.isEmpty else {
            throw EncoderTrainingError("no \(scheme) initialisation for \(child.typeName) "
                + "(\(own.map(\.name).joined(separator: ", ")))")
        }
    }

    /// PyTorch's `reset_parameters` of a convolution or linear layer.
    private static func affine(_ weight: Tensor, _ bias: Tensor?, generator: Torch.Generator) throws {
        try Init.kaimingUniform_(weight, a: 5.0.squareRoot(), generator: generator)
        guard let bias else { return }
        let fanIn = try Init.fans(weight.shape).fanIn
        try Init.uniform_(bias, bound: fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0, generator: generator)
    }

    /// The generator of a run's initial weights: the seed's, apart from the training stream.
    static func generator(seed: UInt64) throws -> Torch.Generator {
        try Torch.Generator(seed: seed &+ 0x5EED)
    }
}
