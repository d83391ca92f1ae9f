import StyleGAN
import Torch

/// The projector's treatment of the per-layer noise maps (StyleGAN2 paper, appendix D).
enum NoiseMaps {
    /// Multi-scale auto-correlation penalty: at each scale down to 8x8, the squared mean of the map times itself
    /// shifted by one pixel horizontally and vertically; then 2x2 average pooling.
    static func regularization(_ maps: [Tensor]) throws -> Tensor {
        var loss = try Tensor.zeros([], dtype: maps[0].dtype, device: maps[0].device)
        for map in maps {
            var noise = map
            var size = noise.size(2)
            while true {
                let horizontal = try (noise * noise.roll([1], dims: [3])).mean().square()
                let vertical = try (noise * noise.roll([1], dims: [2])).mean().square()
                loss = try loss + horizontal + vertical
                if size <= 8 { break }
                noise = try F.avgPool2d(noise, kernel: (2, 2))
                size /= 2
            }
        }
        return loss
    }

    /// Re-normalises each map to zero mean and unit variance in place (after every optimiser step).
    static func normalize(_ maps: [Tensor]) throws {
        try withNoGrad {
            for map in maps {
                let mean = try map.mean()
                let std = try map.std()
                try map.copy_((map - mean) / std)
            }
        }
    }
}
