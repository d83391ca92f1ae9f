import Torch

/// Style mixing of two codes: w'_r = w_r + strength · weight_r · (o_r - w_r), so strength 1 with weight 1
/// takes row r from the other code (the classic figure's layer swap) and fractions blend toward it.
public enum StyleMixing {
    /// wPlus, other [L, D] -> [L, D].
    public static func apply(_ wPlus: Tensor, from other: Tensor, strength: Double, rows: RowWeights) throws -> Tensor {
        try rows.check(against: wPlus)
        guard other.shape == wPlus.shape else {
            throw TorchError("style mixing needs codes of one shape, got \(wPlus.shape) and \(other.shape)")
        }
        guard strength.isFinite else { throw TorchError("strength must be finite, got \(strength)") }
        let o = try other.to(device: wPlus.device, dtype: wPlus.dtype)
        return try wPlus + rows.column(dtype: wPlus.dtype, device: wPlus.device) * (o - wPlus) * strength
    }
}
