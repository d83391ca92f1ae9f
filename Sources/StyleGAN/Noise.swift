import Torch

/// The generator's fixed noise maps, `noises.noise_0` ... `noises.noise_{numLayers-1}` ([1, 1, R, R] each).
public final class NoiseBuffers: Module {
    public let maps: [Tensor]

    init(config: GeneratorConfig, generator: Torch.Generator?) throws {
        maps = try config.noiseSides.map { r in try Tensor.randn([1, 1, r, r], generator: generator) }
        super.init()
        for (i, map) in maps.enumerated() { try register(buffer: "noise_\(i)", map) }
    }
}

/// Where the per-layer noise comes from.
public enum NoiseMode {
    /// The checkpoint's fixed maps (`randomize_noise=False` in the reference): deterministic output.
    case const
    /// Fresh N(0, 1) maps per image drawn from a seeded generator.
    case random(seed: UInt64)
    /// No noise.
    case zero
    /// One map per layer, [N or 1, 1, R, R].
    case explicit([Tensor])

    /// Parses "const", "random" (seeded by `seed`) or "zero".
    public init?(_ name: String, seed: UInt64 = 0) {
        switch name {
        case "const": self = .const
        case "random": self = .random(seed: seed)
        case "zero": self = .zero
        default: return nil
        }
    }

    func maps(for g: StyleGAN2Generator, batch: Int, dtype: DType, device: Device) throws -> [Tensor] {
        let sizes = g.config.noiseSides
        switch self {
        case .const:
            return try g.noises.maps.map { try $0.to(device: device, dtype: dtype) }
        case .random(let seed):
            let rng = try Torch.Generator(seed: seed)
            return try sizes.map { try Tensor.randn([batch, 1, $0, $0], generator: rng).to(device: device, dtype: dtype) }
        case .zero:
            return try sizes.map { try Tensor.zeros([1, 1, $0, $0], dtype: dtype, device: device) }
        case .explicit(let maps):
            guard maps.count == sizes.count else {
                throw TorchError("expected \(sizes.count) noise maps, got \(maps.count)")
            }
            for (i, (map, r)) in zip(maps, sizes).enumerated() {
                guard map.rank == 4, [1, batch].contains(map.size(0)), map.size(1) == 1, map.size(2) == r,
                      map.size(3) == r
                else { throw TorchError("noise map \(i) must be [\(batch) or 1, 1, \(r), \(r)], got \(map.shape)") }
            }
            return try maps.map { try $0.to(device: device, dtype: dtype) }
        }
    }
}
