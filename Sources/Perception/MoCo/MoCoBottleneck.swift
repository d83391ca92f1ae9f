import Torch

/// torchvision's ResNet-50 bottleneck (`conv1`, `bn1`, `conv2`, `bn2`, `conv3`, `bn3`, `downsample.0|1`): 1x1 down
/// to `width`, 3x3 (carrying the stride, the "v1.5" placement MoCo's torchvision model uses), 1x1 up to 4 x width,
/// plus the identity or a strided 1x1 projection when the shape changes, then ReLU.
public final class MoCoBottleneck: Module, Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let conv3: Conv2d
    public let bn3: BatchNorm2d
    /// 1x1 conv and batch norm on the shortcut, present when the stride or the channel count changes.
    public let downsample: Sequential?

    public init(_ inChannels: Int, width: Int, stride: Int, dtype: DType = .float32, device: Device = .cpu) throws {
        let outChannels = 4 * width
        conv1 = try Conv2d(inChannels, width, kernelSize: 1, bias: false, dtype: dtype, device: device)
        bn1 = try BatchNorm2d(width, dtype: dtype, device: device)
        conv2 = try Conv2d(width, width, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false, dtype: dtype,
                           device: device)
        bn2 = try BatchNorm2d(width, dtype: dtype, device: device)
        conv3 = try Conv2d(width, outChannels, kernelSize: 1, bias: false, dtype: dtype, device: device)
        bn3 = try BatchNorm2d(outChannels, dtype: dtype, device: device)
        if stride != 1 || inChannels != outChannels {
            downsample = try Sequential(
                Conv2d(inChannels, outChannels, kernelSize: 1, stride: Size2(stride), bias: false, dtype: dtype,
                       device: device),
                BatchNorm2d(outChannels, dtype: dtype, device: device))
        } else {
            downsample = nil
        }
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "bn1", bn1)
        try register(module: "conv2", conv2)
        try register(module: "bn2", bn2)
        try register(module: "conv3", conv3)
        try register(module: "bn3", bn3)
        try register(module: "downsample", downsample)
    }

    /// [N, in, H, W] -> [N, 4 width, H / stride, W / stride] (rounded up)
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var out = try bn1(conv1(x)).relu()
        out = try bn2(conv2(out)).relu()
        out = try bn3(conv3(out))
        let shortcut = try downsample?(x) ?? x
        return try (out + shortcut).relu()
    }
}
