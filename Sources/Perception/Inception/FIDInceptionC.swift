import Torch

/// Inception-C (`Mixed_6b|c|d|e`) as pytorch-fid's `FIDInceptionC`: torchvision's block with the pooling branch
/// averaging over valid pixels only (`count_include_pad=False`). Branches, c = `channels7x7`: 1x1 (192);
/// 1x1 -> 1x7 -> 7x1 (c -> c -> 192); 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 (c, c, c, c -> 192); 3x3 average pool -> 1x1 (192).
public final class FIDInceptionC: Module, Layer {
    public let branch1x1: InceptionBasicConv2d
    public let branch7x7_1: InceptionBasicConv2d
    public let branch7x7_2: InceptionBasicConv2d
    public let branch7x7_3: InceptionBasicConv2d
    public let branch7x7dbl_1: InceptionBasicConv2d
    public let branch7x7dbl_2: InceptionBasicConv2d
    public let branch7x7dbl_3: InceptionBasicConv2d
    public let branch7x7dbl_4: InceptionBasicConv2d
    public let branch7x7dbl_5: InceptionBasicConv2d
    public let branch_pool: InceptionBasicConv2d

    public init(_ inChannels: Int, channels7x7 c: Int, dtype: DType = .float32, device: Device = .cpu) throws {
        func conv(_ i: Int, _ o: Int, _ kernel: Size2, padding: Size2 = 0) throws -> InceptionBasicConv2d {
            try InceptionBasicConv2d(i, o, kernelSize: kernel, padding: padding, dtype: dtype, device: device)
        }
        let row: Size2 = [1, 7]
        let column: Size2 = [7, 1]
        branch1x1 = try conv(inChannels, 192, 1)
        branch7x7_1 = try conv(inChannels, c, 1)
        branch7x7_2 = try conv(c, c, row, padding: [0, 3])
        branch7x7_3 = try conv(c, 192, column, padding: [3, 0])
        branch7x7dbl_1 = try conv(inChannels, c, 1)
        branch7x7dbl_2 = try conv(c, c, column, padding: [3, 0])
        branch7x7dbl_3 = try conv(c, c, row, padding: [0, 3])
        branch7x7dbl_4 = try conv(c, c, column, padding: [3, 0])
        branch7x7dbl_5 = try conv(c, 192, row, padding: [0, 3])
        branch_pool = try conv(inChannels, 192, 1)
        super.init()
        try register(module: "branch1x1", branch1x1)
        try register(module: "branch7x7_1", branch7x7_1)
        try register(module: "branch7x7_2", branch7x7_2)
        try register(module: "branch7x7_3", branch7x7_3)
        try register(module: "branch7x7dbl_1", branch7x7dbl_1)
        try register(module: "branch7x7dbl_2", branch7x7dbl_2)
        try register(module: "branch7x7dbl_3", branch7x7dbl_3)
        try register(module: "branch7x7dbl_4", branch7x7dbl_4)
        try register(module: "branch7x7dbl_5", branch7x7dbl_5)
        try register(module: "branch_pool", branch_pool)
    }

    /// [N, in, H, W] -> [N, 768, H, W]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b1 = try branch1x1(x)
        let b7 = try branch7x7_3(branch7x7_2(branch7x7_1(x)))
        var b7dbl = try branch7x7dbl_2(branch7x7dbl_1(x))
        b7dbl = try branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(b7dbl)))
        let pooled = try F.avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: (1, 1), countIncludePad: false)
        return try Tensor.cat([b1, b7, b7dbl, branch_pool(pooled)], dim: 1)
    }
}
