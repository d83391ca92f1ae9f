import Torch

/// The reference generator's `forward(styles, ...)`: z or w codes -> truncation -> style mixing -> w+ -> image.
extension StyleGAN2Generator {
    /// Builds the w+ codes [N, nLatent, D] the synthesis network reads.
    ///
    /// - styles: one or two codes, each z [N, D] (mapped first unless `inputIsLatent`), w [N, D], or w+
    ///   [N, nLatent, D] (with `inputIsLatent`).
    /// - truncation: psi < 1 pulls every code toward `truncationLatent` (the latent average).
    /// - injectIndex: with two styles, rows 0..<injectIndex come from the first and the rest from the second.
    public func latents(_ styles: [Tensor], inputIsLatent: Bool = false, truncation: Double = 1,
                        truncationLatent: Tensor? = nil, injectIndex: Int? = nil) throws -> Tensor
    {
        guard (1...2).contains(styles.count) else {
            throw TorchError("generator takes one or two style codes, got \(styles.count)")
        }
        var codes = try styles.map { try inputIsLatent ? $0 : mapping($0) }
        for code in codes {
            let d = config.styleDim
            guard (code.rank == 2 && code.size(1) == d) || (code.rank == 3 && code.size(1) == nLatent && code.size(2) == d)
            else { throw TorchError("style code must be [N, \(d)] or [N, \(nLatent), \(d)], got \(code.shape)") }
            guard try code.isnan().any().item() == 0 else { throw TorchError("style code contains NaN") }
        }
        if truncation < 1 {
            guard let avg = truncationLatent else { throw TorchError("truncation < 1 needs the latent average") }
            codes = try codes.map { try avg + ($0 - avg) * truncation }
        }
        if codes.count == 1 {
            let w = codes[0]
            return try w.rank == 3 ? w : w.unsqueeze(1).repeat([1, nLatent, 1])
        }
        guard let inject = injectIndex, (1..<nLatent).contains(inject) else {
            throw TorchError("style mixing needs an inject index in 1..<\(nLatent), got \(injectIndex.map(String.init) ?? "none")")
        }
        guard codes.allSatisfy({ $0.rank == 2 }) else { throw TorchError("style mixing takes [N, D] codes") }
        let first = try codes[0].unsqueeze(1).repeat([1, inject, 1])
        let second = try codes[1].unsqueeze(1).repeat([1, nLatent - inject, 1])
        return try Tensor.cat([first, second], dim: 1)
    }

    /// Images [N, 3, size, size] in about [-1, 1], as the reference's `forward`.
    public func callAsFunction(_ styles: [Tensor], inputIsLatent: Bool = false, truncation: Double = 1,
                               truncationLatent: Tensor? = nil, injectIndex: Int? = nil, noise: NoiseMode = .const)
        throws -> Tensor
    {
        let wPlus = try latents(styles, inputIsLatent: inputIsLatent, truncation: truncation,
                                truncationLatent: truncationLatent, injectIndex: injectIndex)
        return try synthesis(wPlus, noise: noise)
    }
}
