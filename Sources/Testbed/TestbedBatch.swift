import Torch

/// Renders with their ground truth.
public struct TestbedBatch {
    public let images: Tensor      // [N, 3, S, S] float32 in [-1, 1]
    public let masks: Tensor       // [N, S, S] int64, FaceClass raw values
    public let attributes: Tensor  // [N, A] float32, A = TestbedAttribute.allCases.count
    public let identities: Tensor  // [N] int64 (global identity ids)

    public init(images: Tensor, masks: Tensor, attributes: Tensor, identities: Tensor) {
        self.images = images
        self.masks = masks
        self.attributes = attributes
        self.identities = identities
    }
}
