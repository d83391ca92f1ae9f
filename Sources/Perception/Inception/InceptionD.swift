import Torch

/// Inception-D (`Mixed_7a`), the grid reduction 17x17 -> 8x8, unchanged from torchvision in the FID network.
/// Branches: 1x1 -> 3x3 stride 2 (192 -> 320); 1x1 -> 1x7 -> 7x1 -> 3x3 stride 2 (192 each); 3x3 stride-2 max pool.
public final class InceptionD: Module, Layer {
    public let branch3x3_1: InceptionBasicConv2d
    public let branch3x3_2: InceptionBasicConv2d
    public let branch7x7x3_1: InceptionBasicConv2d
    public let branch7x7x3_2: InceptionBasicConv2d
    public let branch7x7x3_3: InceptionBasicConv2d
    public let branch7x7x3_4: InceptionBasicConv2d

    public init(_ inChannels: Int, dtype: DType = .float32, device: Device = .cpu) throws {
        func conv(_ i: Int, _ o: Int, _ kernel: Size2, stride: Size2 = 1, padding: Size2 = 0) throws
            -> InceptionBasicConv2d
        {
            try InceptionBasicConv2d(i, o, kernelSize: kernel, stride: stride, padding: padding, dtype: dtype,
                                     device: device)
        }
        branch3x3_1 = try conv(inChannels, 192, 1)
        branch3x3_2 = try conv(192, 320, 3, stride: 2)
        branch7x7x3_1 = try conv(inChannels, 192, 1)
        branch7x7x3_2 = try conv(192, 192, [1, 7], padding: [0, 3])
        branch7x7x3_3 = try conv(192, 192, [7, 1], padding: [3, 0])
        branch7x7x3_4 = try conv(192, 192, 3, stride: 2)
        super.init()
        try register(module: "branch3x3_1", branch3x3_1)
        try register(module: "branch3x3_2", branch3x3_2)
        try register(module: "branch7x7x3_1", branch7x7x3_1)
        try register(module: "branch7x7x3_2", branch7x7x3_2)
        try register(module: "branch7x7x3_3", branch7x7x3_3)
        try register(module: "branch7x7x3_4", branch7x7x3_4)
    }

    /// [N, in, H, W] -> [N, 512 + in, (H - 3) / 2 + 1, (W - 3) / 2 + 1]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b3 = try branch3x3_2(branch3x3_1(x))
        let b7 = try branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x))))
        let pooled = try F.maxPool2d(x, kernel: (3, 3), stride: (2, 2))
        return try Tensor.cat([b3, b7, pooled], dim: 1)
    }
}
