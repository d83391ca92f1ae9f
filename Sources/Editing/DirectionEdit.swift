import Torch

/// Moving a w+ code along a latent direction: w'_r = w_r + strength · unit · weight_r · n for each row r.
///
/// This is InterFaceGAN's W+ manipulation (the same offset on every row), SeFa's (`code[:, layers] +=
/// boundary * d`) and GANSpace's layer-range edit E(k, a-b) (sigma · std_k · comp_k on rows a...b only),
/// told apart by the direction's `unit` and the row weights. Strength 0 returns the code unchanged.
public enum DirectionEdit {
    /// wPlus [L, D] -> [L, D], on wPlus's device and dtype.
    public static func apply(_ wPlus: Tensor, along direction: LatentDirection, strength: Double,
                             rows: RowWeights) throws -> Tensor
    {
        try rows.check(against: wPlus)
        try direction.check(styleDim: wPlus.size(1))
        guard strength.isFinite else { throw TorchError("strength must be finite, got \(strength)") }
        let n = try direction.vector.to(device: wPlus.device, dtype: wPlus.dtype).reshape([1, -1])
        let offset = try rows.column(dtype: wPlus.dtype, device: wPlus.device) * n * (strength * direction.unit)
        return try wPlus + offset
    }
}
