import Torch

/// Inception-A (`Mixed_5b|c|d`) as pytorch-fid's `FIDInceptionA`: torchvision's block with its pooling branch
/// averaging over the valid pixels only (`count_include_pad=False`), as TensorFlow's pool in the graph the FID
/// weights come from does. Branches: 1x1 (64); 1x1 -> 5x5 (48 -> 64); 1x1 -> 3x3 -> 3x3 (64 -> 96 -> 96);
/// 3x3 average pool -> 1x1 (`poolFeatures`).
public final class FIDInceptionA: Module, Layer {
    public let branch1x1: InceptionBasicConv2d
    public let branch5x5_1: InceptionBasicConv2d
    public let branch5x5_2: InceptionBasicConv2d
    public let branch3x3dbl_1: InceptionBasicConv2d
    public let branch3x3dbl_2: InceptionBasicConv2d
    public let branch3x3dbl_3: InceptionBasicConv2d
    public let branch_pool: InceptionBasicConv2d

    public init(_ inChannels: Int, poolFeatures: Int, dtype: DType = .float32, device: Device = .cpu) throws {
        func conv(_ i: Int, _ o: Int, _ k: Int, padding: Int = 0) throws -> InceptionBasicConv2d {
            try InceptionBasicConv2d(i, o, kernelSize: Size2(k), padding: Size2(padding), dtype: dtype, device: device)
        }
        branch1x1 = try conv(inChannels, 64, 1)
        branch5x5_1 = try conv(inChannels, 48, 1)
        branch5x5_2 = try conv(48, 64, 5, padding: 2)
        branch3x3dbl_1 = try conv(inChannels, 64, 1)
        branch3x3dbl_2 = try conv(64, 96, 3, padding: 1)
        branch3x3dbl_3 = try conv(96, 96, 3, padding: 1)
        branch_pool = try conv(inChannels, poolFeatures, 1)
        super.init()
        try register(module: "branch1x1", branch1x1)
        try register(module: "branch5x5_1", branch5x5_1)
        try register(module: "branch5x5_2", branch5x5_2)
        try register(module: "branch3x3dbl_1", branch3x3dbl_1)
        try register(module: "branch3x3dbl_2", branch3x3dbl_2)
        try register(module: "branch3x3dbl_3", branch3x3dbl_3)
        try register(module: "branch_pool", branch_pool)
    }

    /// [N, in, H, W] -> [N, 224 + poolFeatures, H, W]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b1 = try branch1x1(x)
        let b5 = try branch5x5_2(branch5x5_1(x))
        let b3 = try branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)))
        let pooled = try F.avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: (1, 1), countIncludePad: false)
        return try Tensor.cat([b1, b5, b3, branch_pool(pooled)], dim: 1)
    }
}
