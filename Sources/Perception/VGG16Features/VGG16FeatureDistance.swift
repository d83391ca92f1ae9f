import Checkpoints
import Foundation
import Torch

/// The perceptual distance of the StyleGAN2-ADA projector and of PTI's pivot search: NVIDIA's `vgg16.pt` called as
/// `vgg16(img, resize_images=False, return_lpips=True)` on images in [0, 255] area-pooled to 256x256, and
/// `(target_features - synth_features).square().sum()`.
///
/// Those features are LPIPS v0.1 (VGG) unrolled into one vector per image, so that a sum of squared differences is
/// the LPIPS distance:
///
///     features(x) = concat over k of flatten( f̂_k(x) · sqrt(w_k / (H_k W_k)) )      [N, F]
///     distance(features(x), features(y)) = sum over the batch of LPIPS(x, y)
///
/// with f̂_k the k-th unit-normalised VGG16 tap (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3; `LPIPS`), w_k the
/// LPIPS channel weights [C_k] and H_k x W_k the tap's size; squaring a difference of such vectors gives
/// w_k (f̂_k(x) - f̂_k(y))² summed over channels and averaged over pixels, LPIPS's terms. NVIDIA's network is the
/// same function of the same weights: its LPIPS distances equal those of torchvision's VGG16 with the LPIPS v0.1
/// layers (torch-fidelity checks them against each other within 1e-5), so both files below load into this one
/// network, and the distance, which fixes each feature up to its sign, is the same whichever file was read.
///
/// The projector hands the network (x + 1) · 255/2, which the network divides by 255 before ImageNet's
/// mean/std normalisation; that is LPIPS's own scaling of x in [-1, 1], so `features` takes images in [-1, 1]
/// and works on them directly. Pooling commutes with that affine map, so area-pooling x is pooling the [0, 255]
/// image: images taller than 256 are area-pooled to 256x256 (the projector tests the height and makes the image
/// square), smaller ones pass unchanged.
///
/// Parameters: 14,714,688 (VGG16 convolutions) + 1,472 (channel weights). A `features` pass at 256x256 costs
/// 40.1 GFLOP (`flops(inputShape:)`) and returns F = 7,995,392 values per image (`featureCount(inputShape:)`).
public final class VGG16FeatureDistance: Module {
    /// Images taller than this are area-pooled to `poolSide` x `poolSide` first.
    public static let poolSide = 256

    /// The VGG16 backbone and LPIPS channel weights (keys `lpips.net.features.N.*`, `lpips.lin{k}.model.1.weight`).
    public let lpips: LPIPS

    /// Fresh (random) weights; `load(nvidia:)` and `load(torchvision:)` read published ones.
    public convenience init(dtype: DType = .float32, device: Device = .cpu) throws {
        try self.init(vggStageWidths: LPIPSBackbone.vgg16StageWidths, dtype: dtype, device: device)
    }

    /// With VGG16 stages `vggStageWidths` channels wide (narrow copies for tests).
    init(vggStageWidths: [Int], dtype: DType = .float32, device: Device = .cpu) throws {
        lpips = try LPIPS(network: .vgg, vggStageWidths: vggStageWidths, dtype: dtype, device: device)
        super.init()
        try register(module: "lpips", lpips)
        try freeze()
        eval()
    }

    /// The network of torchvision's ImageNet VGG16 file at `path` (`vgg16-397923af.pth`; its classifier is
    /// ignored) with the LPIPS v0.1 VGG layers of `linearLayers`, by default those shipped in the package.
    public static func load(torchvision path: String, linearLayers: String? = nil, dtype: DType = .float32,
                            device: Device = .cpu) throws -> VGG16FeatureDistance
    {
        try load(torchvision: path, linearLayers: linearLayers, vggStageWidths: LPIPSBackbone.vgg16StageWidths,
                 dtype: dtype, device: device)
    }

    static func load(torchvision path: String, linearLayers: String?, vggStageWidths: [Int], dtype: DType,
                     device: Device) throws -> VGG16FeatureDistance
    {
        let model = try VGG16FeatureDistance(vggStageWidths: vggStageWidths, dtype: dtype, device: device)
        let linearPath = linearLayers ?? LPIPS.bundledLinearLayers(.vgg).path
        try LPIPS.naming(path) { try model.lpips.loadBackbone(TorchCheckpoint.load(path).stateDict()) }
        try LPIPS.naming(linearPath) { try model.lpips.loadLinearLayers(TorchCheckpoint.load(linearPath).stateDict()) }
        try model.checkChannelWeights(source: linearPath)
        return model
    }

    /// Square roots of the channel weights must exist: LPIPS v0.1's are non-negative.
    func checkChannelWeights(source path: String) throws {
        for (k, lin) in lpips.lins.enumerated() where try lin.conv.weight.min().item() < 0 {
            throw TorchError("\(path): LPIPS channel weights \(k) have negative entries; the features take their "
                + "square roots, and the published weights are non-negative")
        }
    }

    // MARK: forward

    /// images [N, 3, H, W] in [-1, 1] -> features [N, F], F = `featureCount(inputShape:)`.
    public func features(_ images: Tensor) throws -> Tensor {
        try expectInput(images, ["N", 3, "H", "W"], name: "images")
        let weightType = lpips.lins[0].conv.weight.dtype
        guard images.dtype == weightType else {
            throw TorchError("VGG16FeatureDistance: images are \(images.dtype) but the network is \(weightType); "
                + "convert one of them with to(dtype:)")
        }
        let pooled = pooledShape(images.shape)
        guard lpips.net.accepts(inputShape: pooled) else {
            throw TorchError("VGG16FeatureDistance: images are \(images.size(2))x\(images.size(3)), smaller than "
                + "VGG16's minimum \(lpips.net.minimumInputSize)x\(lpips.net.minimumInputSize)")
        }
        let x = pooled == images.shape
            ? images : try F.interpolate(images, size: (pooled[2], pooled[3]), mode: .area)
        let taps = try lpips.normalizedFeatures(x)
        let parts = try zip(taps, lpips.lins).map { tap, lin in
            let perPixel = try (lin.conv.weight / Double(tap.size(2) * tap.size(3))).sqrt() // [1, C, 1, 1]
            return try (tap * perPixel).flatten(from: 1)
        }
        return try Tensor.cat(parts, dim: 1)
    }

    /// The sum of squared differences of two `features` results a, b [N, F] (a scalar): the projector's `dist`.
    public func distance(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.shape.count == 2, a.shape == b.shape else {
            throw TorchError("VGG16FeatureDistance.distance takes two features(_:) results of one shape [N, F], got "
                + "\(a.shape) and \(b.shape)")
        }
        return try (a - b).square().sum()
    }

    /// The shape the backbone sees for images of `inputShape` [N, 3, H, W].
    private func pooledShape(_ inputShape: [Int]) -> [Int] {
        guard inputShape.count == 4, inputShape[2] > Self.poolSide else { return inputShape }
        return [inputShape[0], inputShape[1], Self.poolSide, Self.poolSide]
    }

    // MARK: costs

    /// Values per image that `features` returns for images of `inputShape` [N, 3, H, W].
    public func featureCount(inputShape: [Int]) throws -> Int {
        try lpips.net.tapShapes(inputShape: pooledShape(inputShape)).reduce(0) { $0 + $1[1] * $1[2] * $1[3] }
    }

    /// Floating-point operations of `features` on [N, 3, H, W]: the VGG16 convolutions at the pooled size, 2 per
    /// multiply-add (pooling, normalisation and weighting not counted, as `LPIPS.flops`).
    public func flops(inputShape: [Int]) throws -> Int {
        try lpips.net.flops(inputShape: pooledShape(inputShape))
    }
}
