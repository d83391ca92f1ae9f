import Torch

extension IRSE50 {
    /// pSp's ID-loss view of a generated image: the face region of an aligned 256-pixel image (rows 35..<223,
    /// columns 32..<220), average-pooled to the 112 pixels the network takes. E2Style's multi-layer ID loss reads
    /// `multiLayerFeatures` of the same view. [N, 3, 256, 256] in [-1, 1] -> [N, 3, 112, 112].
    public static func idLossInput(_ images: Tensor) throws -> Tensor {
        let shape = images.shape
        guard shape.count == 4, shape[1] == 3, shape[2] == 256, shape[3] == 256 else {
            throw TorchError("IRSE50.idLossInput: expected images [N, 3, 256, 256], got \(shape)")
        }
        let face = try images.slice(2, 35, 223).slice(3, 32, 220)
        return try F.adaptiveAvgPool2d(face, (112, 112))
    }

    /// The normalised embedding pSp's IDLoss compares: [N, 3, 256, 256] in [-1, 1] -> [N, 512].
    public func idLossEmbedding(_ images: Tensor) throws -> Tensor {
        try self(Self.idLossInput(images))
    }
}
