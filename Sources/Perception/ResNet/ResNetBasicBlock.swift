import Torch

/// torchvision's ResNet `BasicBlock`: ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut), the shortcut being
/// `downsample` (strided 1x1 conv and batch norm) where the shape changes, else x. BiSeNet's ResNet-18, the
/// testbed attribute classifier and ReStyle's ResNet-34 encoder are built from it.
public final class ResNetBasicBlock: Module, Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let downsample: Sequential?

    public init(_ inChannels: Int, _ planes: Int, stride: Int) throws {
        conv1 = try Conv2d(inChannels, planes, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false)
        bn1 = try BatchNorm2d(planes)
        conv2 = try Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false)
        bn2 = try BatchNorm2d(planes)
        downsample = stride == 1 && inChannels == planes ? nil : try Sequential(
            Conv2d(inChannels, planes, kernelSize: 1, stride: Size2(stride), bias: false), BatchNorm2d(planes))
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "bn1", bn1)
        try register(module: "conv2", conv2)
        try register(module: "bn2", bn2)
        try register(module: "downsample", downsample)
    }

    /// One ResNet-18 stage (`layerK`): a block of `stride` from `inChannels` to `planes`, then one keeping them.
    public static func resNet18Stage(_ inChannels: Int, _ planes: Int, stride: Int) throws -> Sequential {
        try Sequential(ResNetBasicBlock(inChannels, planes, stride: stride), ResNetBasicBlock(planes, planes, stride: 1))
    }

    /// The stem's 3x3 max pooling of stride 2 (padding 1): [N, C, H, W] -> [N, C, ceil(H / 2), ceil(W / 2)].
    public static func stemPool(_ x: Tensor) throws -> Tensor {
        try F.maxPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1))
    }

    /// [N, in, H, W] -> [N, planes, ceil(H / stride), ceil(W / stride)]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let residual = try bn2(conv2(bn1(conv1(x)).relu()))
        return try (residual + (downsample?(x) ?? x)).relu()
    }
}
