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
        return try idLossInput(images, size: 112)
    }

    /// The same face region of a square image of any side S (the box scaled by S / 256 and rounded, exact at
    /// 256), average-pooled to `size` pixels: [N, 3, S, S] -> [N, 3, size, size].
    public static func idLossInput(_ images: Tensor, size: Int) throws -> Tensor {
        let shape = images.shape
        guard shape.count == 4, shape[1] == 3, shape[2] == shape[3], shape[2] >= 8 else {
            throw TorchError("IRSE50.idLossInput: expected square images [N, 3, S, S] with S >= 8, got \(shape)")
        }
        let box = faceBox(side: shape[2])
        let face = try images.slice(2, box.rows.lowerBound, box.rows.upperBound)
            .slice(3, box.columns.lowerBound, box.columns.upperBound)
        return try F.adaptiveAvgPool2d(face, (size, size))
    }

    /// pSp's crop box (rows 35..<223, columns 32..<220 of 256) scaled to an image of `side` pixels.
    public static func faceBox(side: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        func scaled(_ v: Int) -> Int { Int((Double(v * side) / 256).rounded()) }
        return (scaled(35)..<scaled(223), scaled(32)..<scaled(220))
    }

    /// E2Style's multi-layer ID view: `multiLayerFeatures` of the face crop of square images [N, 3, S, S], pooled to the
    /// network's input size (112 for the official one).
    public func idLossMultiLayerFeatures(_ images: Tensor) throws -> MultiLayerFeatures {
        try multiLayerFeatures(Self.idLossInput(images, size: configuration.inputSize))
    }

    /// The normalised embedding pSp's IDLoss compares: [N, 3, S, S] in [-1, 1] -> [N, embedding]; S = 256 for
    /// the official network, any square side for the others (their crop is pooled to their input size).
    public func idLossEmbedding(_ images: Tensor) throws -> Tensor {
        if configuration == .official { return try self(Self.idLossInput(images)) }
        return try self(Self.idLossInput(images, size: configuration.inputSize))
    }
}
