import Torch

// Synthesis with substituted styled-conv weights, for generator tuning that computes the weights from other
// tensors (GANI's θ' = θ (1 + Δθ), Δθ the output of a trained network): the gradient then reaches what the
// weights were computed from, and the frozen generator is never mutated. Package-internal: only the Inversion
// target needs it.

extension ModulatedConv2d {
    /// The modulated convolution with `weight` [1, out, in, k, k] in place of the stored one, in the folded form
    /// (equal to `grouped` up to rounding, see the type). x [N, in, H, W], style [N, D] -> [N, out, H', W'].
    package func callAsFunction(_ x: Tensor, style: Tensor, weight: Tensor) throws -> Tensor {
        guard weight.shape == self.weight.shape else {
            throw TorchError("replacement conv weight must be \(self.weight.shape), got \(weight.shape)")
        }
        try expectInput(x, ["N", .size(inChannels), "H", "W"])
        let n = x.size(0)
        let k = kernelSize
        let s = try modulation(style)  // [N, in]
        let base = try weight.squeeze(0) * scale  // [out, in, k, k]
        let input = try x * s.view([n, inChannels, 1, 1])
        var out = upsample
            ? try blur!(F.convTranspose2d(input, base.transpose(0, 1), stride: (2, 2)))
            : try F.conv2d(input, base, padding: (k / 2, k / 2))
        if demodulate {
            let d = try (s.square().matmul(base.square().sum([2, 3]).transpose(0, 1)) + 1e-8).rsqrt()  // [N, out]
            out = try out * d.view([n, outChannels, 1, 1])
        }
        return out
    }
}

extension StyledConv {
    /// The layer with its conv weight replaced by `weight` when given.
    package func callAsFunction(_ x: Tensor, style: Tensor, noise noiseMap: Tensor, weight: Tensor?) throws -> Tensor {
        guard let weight else { return try self(x, style: style, noise: noiseMap) }
        let out = try activate(noise(conv(x, style: style, weight: weight), noise: noiseMap))
        guard let clamp else { return out }
        return try out.clamp(min: -clamp, max: clamp)
    }
}

extension StyleGAN2Generator {
    /// `synthesis(_:noise:)` with styled conv K's weight replaced by `convWeights[K - 1]` where that is not nil
    /// (K as in the type's documentation; one entry per layer). w+ [N, nLatent, D] -> [N, 3, size, size].
    package func synthesis(_ wPlus: Tensor, noise: NoiseMode = .const, convWeights: [Tensor?]) throws -> Tensor {
        try expectInput(wPlus, ["N", .size(nLatent), .size(config.styleDim)], name: "w+")
        guard convWeights.count == numLayers else {
            throw TorchError("expected \(numLayers) conv weight entries (nil keeps a layer's own), got \(convWeights.count)")
        }
        let n = wPlus.size(0)
        let maps = try noise.maps(for: self, batch: n, dtype: wPlus.dtype, device: wPlus.device)
        var out = try input(batch: n).to(dtype: wPlus.dtype)
        var skip: Tensor?
        for k in 1...numLayers {
            out = try styledConv(k)(out, style: wPlus.select(1, k - 1), noise: maps[k - 1], weight: convWeights[k - 1])
            if k % 2 == 1 {
                let rgbIndex = k / 2
                let toRGB = rgbIndex == 0 ? to_rgb1 : to_rgbs[rgbIndex - 1]
                skip = try toRGB(out, style: wPlus.select(1, k), skip: skip)
            }
        }
        return skip!
    }

    /// The state-dict key of styled conv K's weight ("conv1.conv.weight", "convs.0.conv.weight", ...).
    package static func convWeightKey(layer k: Int) -> String {
        k == 1 ? "conv1.conv.weight" : "convs.\(k - 2).conv.weight"
    }

    /// Styled conv K's weight [1, out, in, k, k].
    package func convWeight(layer k: Int) -> Tensor { styledConv(k).conv.weight }
}
