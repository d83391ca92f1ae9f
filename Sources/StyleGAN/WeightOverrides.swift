import Torch

// Synthesis with substituted styled-conv weights, for generator tuning that computes the weights from other
// tensors (GANI's θ' = θ (1 + Δθ), Δθ the output of a trained network): the gradient then reaches what the
// weights were computed from, and the frozen generator is never mutated. Package-internal: only the Inversion
// target needs it.

extension StyleGAN2Generator {
    /// `synthesis(_:noise:)` with styled conv K's weight replaced by `convWeights[K - 1]` where that is not nil
    /// (K as in the type's documentation; one entry per layer). w+ [N, nLatent, D] -> [N, 3, size, size].
    package func synthesis(_ wPlus: Tensor, noise: NoiseMode = .const, convWeights: [Tensor?]) throws -> Tensor {
        try expectInput(wPlus, ["N", .size(nLatent), .size(config.styleDim)], name: "w+")
        guard convWeights.count == numLayers else {
            throw TorchError("expected \(numLayers) conv weight entries (nil keeps a layer's own), got \(convWeights.count)")
        }
        return try run(wPlus, noise: noise, feature: nil, stopAfter: nil, convWeights: convWeights) { _ in }
    }

    /// The state-dict key of styled conv K's weight ("conv1.conv.weight", "convs.0.conv.weight", ...).
    package static func convWeightKey(layer k: Int) -> String {
        k == 1 ? "conv1.conv.weight" : "convs.\(k - 2).conv.weight"
    }

    /// Styled conv K's weight [1, out, in, k, k].
    package func convWeight(layer k: Int) -> Tensor { styledConv(k).conv.weight }
}
