import Torch

/// Inception-B (`Mixed_6a`), the grid reduction 35x35 -> 17x17, unchanged from torchvision in the FID network.
/// Branches: 3x3 stride 2 (384); 1x1 -> 3x3 -> 3x3 stride 2 (64 -> 96 -> 96); 3x3 stride-2 max pool (input channels).
public final class InceptionB: Module, Layer {
    public let branch3x3: InceptionBasicConv2d
    public let branch3x3dbl_1: InceptionBasicConv2d
    public let branch3x3dbl_2: InceptionBasicConv2d
    public let branch3x3dbl_3: InceptionBasicConv2d

    public init(_ inChannels: Int, dtype: DType = .float32, device: Device = .cpu) throws {
        branch3x3 = try InceptionBasicConv2d(inChannels, 384, kernelSize: 3, stride: 2, dtype: dtype, device: device)
        branch3x3dbl_1 = try InceptionBasicConv2d(inChannels, 64, kernelSize: 1, dtype: dtype, device: device)
        branch3x3dbl_2 = try InceptionBasicConv2d(64, 96, kernelSize: 3, padding: 1, dtype: dtype, device: device)
        branch3x3dbl_3 = try InceptionBasicConv2d(96, 96, kernelSize: 3, stride: 2, dtype: dtype, device: device)
        super.init()
        try register(module: "branch3x3", branch3x3)
        try register(module: "branch3x3dbl_1", branch3x3dbl_1)
        try register(module: "branch3x3dbl_2", branch3x3dbl_2)
        try register(module: "branch3x3dbl_3", branch3x3dbl_3)
    }

    /// [N, in, H, W] -> [N, 480 + in, (H - 3) / 2 + 1, (W - 3) / 2 + 1]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b3 = try branch3x3(x)
        let b3dbl = try branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x)))
        let pooled = try F.maxPool2d(x, kernel: (3, 3), stride: (2, 2))
        return try Tensor.cat([b3, b3dbl, pooled], dim: 1)
    }
}
