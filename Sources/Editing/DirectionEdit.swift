import Torch

/// Moving a w+ code along a latent direction, row r by weight_r of the change.
///
/// Offsets are InterFaceGAN's W+ manipulation (the same offset on every row), SeFa's (`code[:, layers] +=
/// boundary * d`) and GANSpace's layer-range edit E(k, a-b) (sigma · std_k · comp_k on rows a...b only),
/// told apart by the direction's `unit` and the row weights. Positions are InterFaceGAN's rule for W codes.
public enum DirectionEdit {
    /// What a strength s says.
    public enum Mode: String, CaseIterable, Codable, Sendable {
        /// How far each row moves: w_r + weight_r · s · unit · n. Strength 0 returns the code unchanged.
        case offset
        /// Where each row ends up: its coordinate n·(w_r − centre) becomes s · unit. InterFaceGAN's
        /// `linear_interpolate` for W codes (w + (d − n·w) n: signed distance d to the boundary n·w = 0) and
        /// GANSpace's centred strips (`visualize.py`: s sigmas from lat_mean along the component).
        case position
    }

    /// wPlus [L, D] -> [L, D], on wPlus's device and dtype.
    public static func apply(_ wPlus: Tensor, along direction: LatentDirection, strength: Double, rows: RowWeights,
                             mode: Mode = .offset) throws -> Tensor
    {
        try rows.check(against: wPlus)
        try direction.check(styleDim: wPlus.size(1))
        guard strength.isFinite else { throw TorchError("strength must be finite, got \(strength)") }
        let n = try direction.vector.to(device: wPlus.device, dtype: wPlus.dtype).reshape([1, -1])
        let weights = try rows.column(dtype: wPlus.dtype, device: wPlus.device)
        switch mode {
        case .offset:
            return try wPlus + weights * n * (strength * direction.unit)
        case .position:
            guard let centre = direction.centre else {
                throw TorchError("\(direction.label) defines no position to measure a strength from (SeFa directions "
                    + "and GANSpace files without their mean do not); edit by offset")
            }
            let c = try centre.to(device: wPlus.device, dtype: wPlus.dtype).reshape([1, -1])
            let coordinate = try (wPlus - c).matmul(n.transpose(0, 1))  // [L, 1]
            return try wPlus - weights * (coordinate - strength * direction.unit) * n
        }
    }
}
