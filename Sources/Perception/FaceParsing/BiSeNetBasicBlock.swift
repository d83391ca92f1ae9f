import Torch

extension BiSeNet {
    /// ResNet's basic block: two 3x3 convs with batch norm (ReLU between), added to the input (through
    /// `downsample`, a strided 1x1 conv and batch norm, where the shape changes), then ReLU.
    public final class BasicBlock: Module, Layer {
        public let conv1: Conv2d
        public let bn1: BatchNorm2d
        public let conv2: Conv2d
        public let bn2: BatchNorm2d
        public let downsample: Sequential?

        public init(_ inChannels: Int, _ outChannels: Int, stride: Int) throws {
            conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false)
            bn1 = try BatchNorm2d(outChannels)
            conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false)
            bn2 = try BatchNorm2d(outChannels)
            downsample = stride == 1 && inChannels == outChannels ? nil : try Sequential(
                Conv2d(inChannels, outChannels, kernelSize: 1, stride: Size2(stride), bias: false),
                BatchNorm2d(outChannels))
            super.init()
            try register(module: "conv1", conv1)
            try register(module: "bn1", bn1)
            try register(module: "conv2", conv2)
            try register(module: "bn2", bn2)
            try register(module: "downsample", downsample)
        }

        /// [N, in, H, W] -> [N, out, ceil(H / stride), ceil(W / stride)]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let residual = try bn2(conv2(bn1(conv1(x)).relu()))
            return try (residual + (downsample?(x) ?? x)).relu()
        }
    }
}
