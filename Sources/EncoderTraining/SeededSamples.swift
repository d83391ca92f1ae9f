import StyleGAN
import Torch

/// Synthetic samples drawn one per seed, as the official datasets draw them (the Feature-Style encoder's `MyDataSet`;
/// CLCAE's pre-generated pairs): `torch.manual_seed(seed)`, then z [1, D], then one noise map [1, 1, R, R] per
/// layer of `decoder`, in layer order.
enum SeededSamples {
    /// z [N, D] and the noise maps [N, 1, R, R] of `seeds`, one sample each.
    static func draw(_ seeds: [UInt64], for decoder: StyleGAN2Generator) throws -> (z: Tensor, noise: [Tensor]) {
        let sides = decoder.config.noiseSides
        var zs: [Tensor] = []
        var maps: [[Tensor]] = Array(repeating: [], count: sides.count)
        for seed in seeds {
            let g = try Torch.Generator(seed: seed)
            zs.append(try Tensor.randn([1, decoder.config.styleDim], generator: g))
            for (layer, side) in sides.enumerated() { maps[layer].append(try Tensor.randn([1, 1, side, side], generator: g)) }
        }
        return (try Tensor.cat(zs), try maps.map { try Tensor.cat($0) })
    }
}
