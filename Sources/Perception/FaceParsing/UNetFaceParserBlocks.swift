import Torch

extension UNetFaceParser {
    /// pytorch-semseg's `unetConv2` with batch norm: two (3x3 conv with bias, padding 1, batch norm, ReLU)
    /// Sequentials, `conv1` and `conv2`.
    public final class DoubleConv: Module, Layer {
        public let conv1: Sequential
        public let conv2: Sequential

        public init(_ inChannels: Int, _ outChannels: Int) throws {
            conv1 = try Sequential(Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1),
                                   BatchNorm2d(outChannels), ReLU())
            conv2 = try Sequential(Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1),
                                   BatchNorm2d(outChannels), ReLU())
            super.init()
            try register(module: "conv1", conv1)
            try register(module: "conv2", conv2)
        }

        /// [N, in, H, W] -> [N, out, H, W]
        public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv2(conv1(x)) }
    }

    /// `unetUp` with deconvolution: doubles the coarse map with a 2x2 stride-2 transposed conv (`up`), concatenates
    /// the skip before it, and mixes with a DoubleConv (`conv`).
    public final class Up: Module {
        public let conv: DoubleConv
        public let up: ConvTranspose2d

        public init(_ inChannels: Int, _ outChannels: Int) throws {
            conv = try DoubleConv(inChannels, outChannels)
            up = try ConvTranspose2d(inChannels, outChannels, kernelSize: 2, stride: 2)
            super.init()
            try register(module: "conv", conv)
            try register(module: "up", up)
        }

        /// skip [N, out, 2H, 2W], coarse [N, in, H, W] -> [N, out, 2H, 2W]. With the parser's sizes (multiples of 16)
        /// the reference's padding of the skip is zero, so none is applied.
        public func callAsFunction(_ skip: Tensor, _ coarse: Tensor) throws -> Tensor {
            try conv(Tensor.cat([skip, up(coarse)], dim: 1))
        }
    }
}
