import Torch

/// Which space a latent file's codes live in.
public enum LatentSpace: String, CaseIterable, Sendable {
    case z, w
}

extension StyleGAN2Generator {
    /// z [N, D] for integer seeds: seed s gives randn([1, D]) from a generator seeded with s, so an image
    /// depends only on its seed, never on the batch it was drawn in.
    public func z(seeds: [Int]) throws -> Tensor {
        try Tensor.cat(seeds.map { try Tensor.randn([1, config.styleDim], generator: Torch.Generator(seed: UInt64(bitPattern: Int64($0)))) })
    }
}

extension LoadedGenerator {
    /// What `render` produced: images before clamping, and the codes that made them.
    public struct Rendered {
        /// [N, 3, size, size], float32, not clamped.
        public let images: Tensor
        /// W [N, D] (z and w inputs, after truncation) or W+ [N, L, D].
        public let latents: Tensor
    }

    /// Renders codes in batches: z [N, D] (mapped), w [N, D] or w+ [N, L, D], truncated toward the latent average.
    ///
    /// With `.random` noise, image i draws its maps from seed + i, so results do not depend on `batch`. `compute`
    /// is the dtype of the synthesis' activations (see `StyleGAN2Generator.synthesis`); images come back float32.
    public func render(_ codes: Tensor, space: LatentSpace, truncation: Double = 1, noise: NoiseMode = .const,
                       batch: Int = 8, device: Device = .cpu, compute: DType = .float32,
                       progress: (Int, Int) -> Void = { _, _ in }) throws
        -> Rendered
    {
        let g = generator
        let d = g.config.styleDim
        guard batch > 0 else { throw TorchError("batch size must be positive, got \(batch)") }
        guard truncation.isFinite, truncation >= 0 else { throw TorchError("truncation must be finite and >= 0, got \(truncation)") }
        switch codes.rank {
        case 2 where codes.size(1) == d: break
        case 3 where codes.size(1) == g.nLatent && codes.size(2) == d:
            guard space == .w else { throw TorchError("W+ codes [N, \(g.nLatent), \(d)] cannot be z codes") }
        default:
            throw TorchError("latents must be [N, \(d)] or [N, \(g.nLatent), \(d)], got \(codes.shape)")
        }
        guard try codes.isfinite().all().item() != 0 else { throw TorchError("latents contain NaN or infinity") }
        let n = codes.size(0)
        var images: [Tensor] = []
        var used: [Tensor] = []
        try withInferenceMode {
            var start = 0
            while start < n {
                let count = min(batch, n - start)
                let chunk = try codes.slice(0, start, start + count).to(device: device, dtype: .float32)
                var w = space == .z ? try g.mapping(chunk) : chunk
                if truncation != 1 {
                    let avg = try latentAvg.to(device: device)
                    w = try avg + (w - avg) * truncation
                }
                let wPlus = w.rank == 3 ? w : try w.unsqueeze(1).repeat([1, g.nLatent, 1])
                let maps: NoiseMode
                if case .random(let seed) = noise {
                    maps = try .explicit(NoiseMode.perImage(g, seeds: (start..<start + count).map { seed &+ UInt64($0) },
                                                            device: device))
                } else {
                    maps = noise
                }
                images.append(try g.synthesis(wPlus, noise: maps, compute: compute).to(device: .cpu, dtype: .float32))
                used.append(try w.to(device: .cpu))
                start += count
                progress(start, n)
            }
        }
        return Rendered(images: try Tensor.cat(images), latents: try Tensor.cat(used))
    }
}

extension NoiseMode {
    /// Noise maps for a batch where image i's maps come from its own seed.
    static func perImage(_ g: StyleGAN2Generator, seeds: [UInt64], device: Device) throws -> [Tensor] {
        let perImage = try seeds.map { try NoiseMode.random(seed: $0).maps(for: g, batch: 1, dtype: .float32, device: device) }
        return try (0..<g.numLayers).map { layer in try Tensor.cat(perImage.map { $0[layer] }) }
    }
}
