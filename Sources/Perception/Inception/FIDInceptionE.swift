import Torch

/// Inception-E (`Mixed_7b`, `Mixed_7c`) as pytorch-fid's `FIDInceptionE_1` and `FIDInceptionE_2`. Branches:
/// 1x1 (320); 1x1 -> (1x3 | 3x1) (384 -> 384 + 384); 1x1 -> 3x3 -> (1x3 | 3x1) (448 -> 384 -> 384 + 384);
/// 3x3 pool -> 1x1 (192). The two differ only in that pool, see `Pool`.
public final class FIDInceptionE: Module, Layer {
    /// The pooling branch's pool, 3x3 stride 1 padding 1.
    public enum Pool: Sendable {
        /// `Mixed_7b` (`FIDInceptionE_1`): average over valid pixels only (`count_include_pad=False`).
        case average
        /// `Mixed_7c` (`FIDInceptionE_2`): max pool, as the TensorFlow graph behind the FID weights has it
        /// (torchvision's block averages here).
        case max
    }

    public let pool: Pool
    public let branch1x1: InceptionBasicConv2d
    public let branch3x3_1: InceptionBasicConv2d
    public let branch3x3_2a: InceptionBasicConv2d
    public let branch3x3_2b: InceptionBasicConv2d
    public let branch3x3dbl_1: InceptionBasicConv2d
    public let branch3x3dbl_2: InceptionBasicConv2d
    public let branch3x3dbl_3a: InceptionBasicConv2d
    public let branch3x3dbl_3b: InceptionBasicConv2d
    public let branch_pool: InceptionBasicConv2d

    public init(_ inChannels: Int, pool: Pool, dtype: DType = .float32, device: Device = .cpu) throws {
        func conv(_ i: Int, _ o: Int, _ kernel: Size2, padding: Size2 = 0) throws -> InceptionBasicConv2d {
            try InceptionBasicConv2d(i, o, kernelSize: kernel, padding: padding, dtype: dtype, device: device)
        }
        self.pool = pool
        branch1x1 = try conv(inChannels, 320, 1)
        branch3x3_1 = try conv(inChannels, 384, 1)
        branch3x3_2a = try conv(384, 384, [1, 3], padding: [0, 1])
        branch3x3_2b = try conv(384, 384, [3, 1], padding: [1, 0])
        branch3x3dbl_1 = try conv(inChannels, 448, 1)
        branch3x3dbl_2 = try conv(448, 384, 3, padding: 1)
        branch3x3dbl_3a = try conv(384, 384, [1, 3], padding: [0, 1])
        branch3x3dbl_3b = try conv(384, 384, [3, 1], padding: [1, 0])
        branch_pool = try conv(inChannels, 192, 1)
        super.init()
        try register(module: "branch1x1", branch1x1)
        try register(module: "branch3x3_1", branch3x3_1)
        try register(module: "branch3x3_2a", branch3x3_2a)
        try register(module: "branch3x3_2b", branch3x3_2b)
        try register(module: "branch3x3dbl_1", branch3x3dbl_1)
        try register(module: "branch3x3dbl_2", branch3x3dbl_2)
        try register(module: "branch3x3dbl_3a", branch3x3dbl_3a)
        try register(module: "branch3x3dbl_3b", branch3x3dbl_3b)
        try register(module: "branch_pool", branch_pool)
    }

    /// [N, in, H, W] -> [N, 2048, H, W]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b1 = try branch1x1(x)
        let s3 = try branch3x3_1(x)
        let d3 = try branch3x3dbl_2(branch3x3dbl_1(x))
        let pooled = switch pool {
        case .average: try F.avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: (1, 1), countIncludePad: false)
        case .max: try F.maxPool2d(x, kernel: (3, 3), stride: (1, 1), padding: (1, 1))
        }
        return try Tensor.cat([b1, branch3x3_2a(s3), branch3x3_2b(s3), branch3x3dbl_3a(d3), branch3x3dbl_3b(d3),
                               branch_pool(pooled)], dim: 1)
    }
}
