import Images
import Torch

extension DlibFaceRecognition {
    /// The chip of FFHQ-aligned images [N, 3, S, S] in [-1, 1]: the fixed chip of dlib's mean face after the FFHQ
    /// alignment (`DlibFaceChip.ffhqAligned`), sampled without rounding so gradients pass -> [N, 3, 150, 150] on the
    /// 0-255 scale.
    public static func idLossInput(_ images: Tensor) throws -> Tensor {
        guard images.rank == 4, images.size(1) == 3, images.size(2) == images.size(3), images.size(2) >= 16 else {
            throw TorchError("DlibFaceRecognition.idLossInput: expected aligned images [N, 3, S, S] with S >= 16, got \(images.shape)")
        }
        return try DlibFaceChip.ffhqAligned(imageSize: images.size(2)).sample((images + 1) * 127.5)
    }

    /// The identity losses' embedding: the descriptor of FFHQ-aligned images [N, 3, S, S] in [-1, 1] (through
    /// `idLossInput`) scaled to unit length, as ArcFace's, so 1 - the dot product is the same cosine loss -> [N, 128].
    public func idLossEmbedding(_ images: Tensor) throws -> Tensor { try F.normalize(self(Self.idLossInput(images))) }

    /// E2Style-style multi-layer identity features of aligned images: the five levels' outputs and the descriptor,
    /// each [N, -1].
    public func idLossMultiLayerFeatures(_ images: Tensor) throws -> [Tensor] {
        let features = try multiLayerFeatures(Self.idLossInput(images))
        return try (features.levels + [features.descriptor]).map { try $0.flatten(from: 1) }
    }

    /// dlib's `compute_face_descriptor(photo, shape)`: the chip dlib cuts around the face's 68 (or 5) landmarks,
    /// then the network -> [128].
    public func descriptor(of photo: Image, landmarks: [FacePoint]) throws -> [Float] {
        let chip = try DlibFaceChip(landmarks: landmarks).sample(Self.pixels(photo).to(device: means.device), quantize: true)
        return try withNoGrad { try self(chip.to(dtype: .float32)) }.floats()
    }

    /// A photo as [1, 3, H, W] float64 on the 0-255 scale, with the 8-bit values dlib reads.
    static func pixels(_ photo: Image) throws -> Tensor {
        let rgb = DlibImage(photo)
        return try Tensor(bytes: rgb.bytes, shape: [rgb.height, rgb.width, 3], dtype: .uint8).permute([2, 0, 1])
            .to(dtype: .float64).unsqueeze(0).contiguous()
    }
}
