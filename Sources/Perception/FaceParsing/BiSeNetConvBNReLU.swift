import Torch

extension BiSeNet {
    /// Conv without bias, batch norm, ReLU (`conv`, `bn`): the building block of every BiSeNet part.
    public final class ConvBNReLU: Module, Layer {
        public let conv: Conv2d
        public let bn: BatchNorm2d

        public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int = 3, padding: Int = 1) throws {
            conv = try Conv2d(inChannels, outChannels, kernelSize: Size2(kernelSize), padding: Size2(padding),
                              bias: false)
            bn = try BatchNorm2d(outChannels)
            super.init()
            try register(module: "conv", conv)
            try register(module: "bn", bn)
        }

        /// [N, in, H, W] -> [N, out, H, W] (the kernels used keep the size)
        public func callAsFunction(_ x: Tensor) throws -> Tensor { try bn(conv(x)).relu() }
    }
}
