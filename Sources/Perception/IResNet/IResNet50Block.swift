import Torch

extension IResNet50 {
    /// arcface_torch's `IBasicBlock`: batch norm, 3x3 conv, batch norm, PReLU, 3x3 conv carrying the stride,
    /// batch norm, added to the input (through `downsample`, a strided 1x1 conv and batch norm, where the shape
    /// changes). No activation after the sum.
    public final class Block: Module, Layer {
        public let bn1: BatchNorm2d
        public let conv1: Conv2d
        public let bn2: BatchNorm2d
        public let prelu: PReLU
        public let conv2: Conv2d
        public let bn3: BatchNorm2d
        public let downsample: Sequential?

        public init(_ inChannels: Int, _ outChannels: Int, stride: Int) throws {
            bn1 = try BatchNorm2d(inChannels)
            conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, bias: false)
            bn2 = try BatchNorm2d(outChannels)
            prelu = try PReLU(numParameters: outChannels)
            conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false)
            bn3 = try BatchNorm2d(outChannels)
            downsample = stride == 1 && inChannels == outChannels ? nil : try Sequential(
                Conv2d(inChannels, outChannels, kernelSize: 1, stride: Size2(stride), bias: false),
                BatchNorm2d(outChannels))
            super.init()
            try register(module: "bn1", bn1)
            try register(module: "conv1", conv1)
            try register(module: "bn2", bn2)
            try register(module: "prelu", prelu)
            try register(module: "conv2", conv2)
            try register(module: "bn3", bn3)
            try register(module: "downsample", downsample)
        }

        /// [N, in, H, W] -> [N, out, ceil(H / stride), ceil(W / stride)]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let out = try bn3(conv2(prelu(bn2(conv1(bn1(x))))))
            return try out + (downsample?(x) ?? x)
        }
    }
}
