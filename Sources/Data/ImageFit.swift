/// How a dataset's images are brought to the training size.
public enum ImageFit: String, Codable, Sendable, CaseIterable {
    /// Images must already be size x size, as StyleGAN2-ADA requires of its zips and rosinality's training
    /// script of its LMDB records (prepared at that size).
    case exact
    /// The largest centred square, resized (antialiased bicubic) to size x size: for folders of photos,
    /// as `prepare_data.py` makes its records (resize the short side, then centre-crop).
    case centerCropResize
}
