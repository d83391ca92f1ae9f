import Torch

/// The InceptionV3 that FID is computed with: pytorch-fid's `InceptionV3` at its default output, the 2048-d "pool3"
/// features, over the TensorFlow `inception-2015-12-05` graph's weights (`pt_inception-2015-12-05-6726825d.pth`).
///
/// torchvision's `Inception3` layout and key names (`Conv2d_1a_3x3.conv.weight`, `Mixed_5b.branch1x1.bn.*`, ...)
/// with the blocks pytorch-fid patches to reproduce TensorFlow: `FIDInceptionA` and `FIDInceptionC`, and
/// `FIDInceptionE` with an average (`Mixed_7b`) or max (`Mixed_7c`) pool. The 1008-class `fc` of the weights file is
/// never run for features and is not built (`load(weights:)` skips it); there is no auxiliary classifier.
///
/// `features(_:)` is the metric's input pipeline; `callAsFunction` is the network proper. The network is frozen and
/// stays in evaluation mode. float32 and bfloat16 run as they are (move it with `to(dtype:)`; inputs must match);
/// FID is sensitive to small feature changes, so reported scores come from float32.
///
/// Parameters: 21,785,568 (23,850,960 with the 1008-class fc, as pytorch-fid's model holds them). FLOPs, 2 per
/// multiply-add of the convolutions, at 299x299: 11,422,336,192 per image (counted with forward hooks on
/// pytorch-fid's model; batch norm, ReLU, pooling and the resize not counted).
public final class FIDInceptionV3: Module {
    /// The side `features` resizes every image to.
    public static let inputSize = 299
    public static let featureDimension = 2048
    /// The smallest side `callAsFunction` takes: `Mixed_7a` needs a 3x3 input.
    public static let minimumInputSize = 75

    public let Conv2d_1a_3x3: InceptionBasicConv2d
    public let Conv2d_2a_3x3: InceptionBasicConv2d
    public let Conv2d_2b_3x3: InceptionBasicConv2d
    public let Conv2d_3b_1x1: InceptionBasicConv2d
    public let Conv2d_4a_3x3: InceptionBasicConv2d
    public let Mixed_5b: FIDInceptionA
    public let Mixed_5c: FIDInceptionA
    public let Mixed_5d: FIDInceptionA
    public let Mixed_6a: InceptionB
    public let Mixed_6b: FIDInceptionC
    public let Mixed_6c: FIDInceptionC
    public let Mixed_6d: FIDInceptionC
    public let Mixed_6e: FIDInceptionC
    public let Mixed_7a: InceptionD
    public let Mixed_7b: FIDInceptionE
    public let Mixed_7c: FIDInceptionE

    /// A network with freshly initialised weights; load the FID weights with `load(weights:)`.
    public init(dtype: DType = .float32, device: Device = .cpu) throws {
        func conv(_ i: Int, _ o: Int, _ k: Int, stride: Int = 1, padding: Int = 0) throws -> InceptionBasicConv2d {
            try InceptionBasicConv2d(i, o, kernelSize: Size2(k), stride: Size2(stride), padding: Size2(padding),
                                     dtype: dtype, device: device)
        }
        Conv2d_1a_3x3 = try conv(3, 32, 3, stride: 2)
        Conv2d_2a_3x3 = try conv(32, 32, 3)
        Conv2d_2b_3x3 = try conv(32, 64, 3, padding: 1)
        Conv2d_3b_1x1 = try conv(64, 80, 1)
        Conv2d_4a_3x3 = try conv(80, 192, 3)
        Mixed_5b = try FIDInceptionA(192, poolFeatures: 32, dtype: dtype, device: device)
        Mixed_5c = try FIDInceptionA(256, poolFeatures: 64, dtype: dtype, device: device)
        Mixed_5d = try FIDInceptionA(288, poolFeatures: 64, dtype: dtype, device: device)
        Mixed_6a = try InceptionB(288, dtype: dtype, device: device)
        Mixed_6b = try FIDInceptionC(768, channels7x7: 128, dtype: dtype, device: device)
        Mixed_6c = try FIDInceptionC(768, channels7x7: 160, dtype: dtype, device: device)
        Mixed_6d = try FIDInceptionC(768, channels7x7: 160, dtype: dtype, device: device)
        Mixed_6e = try FIDInceptionC(768, channels7x7: 192, dtype: dtype, device: device)
        Mixed_7a = try InceptionD(768, dtype: dtype, device: device)
        Mixed_7b = try FIDInceptionE(1280, pool: .average, dtype: dtype, device: device)
        Mixed_7c = try FIDInceptionE(2048, pool: .max, dtype: dtype, device: device)
        super.init()
        try register(module: "Conv2d_1a_3x3", Conv2d_1a_3x3)
        try register(module: "Conv2d_2a_3x3", Conv2d_2a_3x3)
        try register(module: "Conv2d_2b_3x3", Conv2d_2b_3x3)
        try register(module: "Conv2d_3b_1x1", Conv2d_3b_1x1)
        try register(module: "Conv2d_4a_3x3", Conv2d_4a_3x3)
        try register(module: "Mixed_5b", Mixed_5b)
        try register(module: "Mixed_5c", Mixed_5c)
        try register(module: "Mixed_5d", Mixed_5d)
        try register(module: "Mixed_6a", Mixed_6a)
        try register(module: "Mixed_6b", Mixed_6b)
        try register(module: "Mixed_6c", Mixed_6c)
        try register(module: "Mixed_6d", Mixed_6d)
        try register(module: "Mixed_6e", Mixed_6e)
        try register(module: "Mixed_7a", Mixed_7a)
        try register(module: "Mixed_7b", Mixed_7b)
        try register(module: "Mixed_7c", Mixed_7c)
        try freeze()
        eval()
    }

    /// A fixed metric network stays in evaluation mode whatever a parent module is switched to.
    @discardableResult
    override public func train(_ mode: Bool = true) -> Self {
        super.train(false)
        return self
    }

    /// The dtype of the weights, which inputs must match.
    public var dtype: DType { Conv2d_1a_3x3.conv.weight.dtype }

    /// The pool3 features FID compares: images [N, 3, H, W] in [-1, 1], any size -> [N, 2048].
    ///
    /// pytorch-fid (`resize_input=True`, `normalize_input=True`) takes [0, 1] images, resizes them to 299x299
    /// (bilinear, align_corners False), then scales them to [-1, 1]. The images are mapped to [0, 1] first,
    /// (x + 1) / 2, and the same steps follow, so the result is the reference's for the [0, 1] image.
    ///
    /// Runs in inference mode, `batchSize` images at a time to bound memory (pytorch-fid's default batch is 50):
    /// the result carries no autograd graph.
    public func features(_ images: Tensor, batchSize: Int = 50) throws -> Tensor {
        try expectInput(images, ["N", 3, "H", "W"], name: "images")
        guard images.size(0) > 0, batchSize > 0 else {
            throw TorchError("FIDInceptionV3: need at least one image and a positive batch size, got \(images.shape) "
                + "and \(batchSize)")
        }
        let size = FIDInceptionV3.inputSize
        return try withInferenceMode {
            let batches = try images.split(size: batchSize, dim: 0).map { batch in
                let unit = try (batch + 1) * 0.5
                let resized = try F.interpolate(unit, size: (size, size), mode: .bilinear, alignCorners: false)
                return try self(resized * 2 - 1)
            }
            return batches.count == 1 ? batches[0] : try Tensor.cat(batches, dim: 0)
        }
    }

    /// The network proper: x [N, 3, H, W] in [-1, 1], H, W >= 75 -> [N, 2048], the average of `Mixed_7c`'s
    /// output (8x8 at 299x299).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", 3, "H", "W"])
        guard min(x.size(2), x.size(3)) >= FIDInceptionV3.minimumInputSize else {
            throw TorchError("FIDInceptionV3: input \(x.size(2))x\(x.size(3)) is smaller than the minimum "
                + "\(FIDInceptionV3.minimumInputSize)x\(FIDInceptionV3.minimumInputSize)")
        }
        guard x.dtype == dtype else {
            throw TorchError("FIDInceptionV3: input is \(x.dtype) but the network is \(dtype); "
                + "convert one of them with to(dtype:)")
        }
        var out = try Conv2d_2b_3x3(Conv2d_2a_3x3(Conv2d_1a_3x3(x)))  // 64 x 147 x 147 at 299
        out = try F.maxPool2d(out, kernel: (3, 3), stride: (2, 2))  // 64 x 73 x 73
        out = try Conv2d_4a_3x3(Conv2d_3b_1x1(out))  // 192 x 71 x 71
        out = try F.maxPool2d(out, kernel: (3, 3), stride: (2, 2))  // 192 x 35 x 35
        out = try Mixed_5d(Mixed_5c(Mixed_5b(out)))  // 288 x 35 x 35
        out = try Mixed_6a(out)  // 768 x 17 x 17
        out = try Mixed_6e(Mixed_6d(Mixed_6c(Mixed_6b(out))))  // 768 x 17 x 17
        out = try Mixed_7c(Mixed_7b(Mixed_7a(out)))  // 2048 x 8 x 8
        return try F.adaptiveAvgPool2d(out, (1, 1)).flatten(from: 1)
    }
}
