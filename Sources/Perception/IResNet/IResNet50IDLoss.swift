import Torch

extension IResNet50 {
    /// The Feature-Style encoder's ID-loss view of an image: `F.interpolate(x, (112, 112))`, whose default mode is
    /// nearest. [N, 3, H, W] in [-1, 1] -> [N, 3, 112, 112].
    public static func idLossInput(_ images: Tensor) throws -> Tensor {
        let shape = images.shape
        guard shape.count == 4, shape[1] == 3 else {
            throw TorchError("IResNet50.idLossInput: expected images [N, 3, H, W], got \(shape)")
        }
        return try F.interpolate(images, size: (112, 112), mode: .nearest)
    }
}
