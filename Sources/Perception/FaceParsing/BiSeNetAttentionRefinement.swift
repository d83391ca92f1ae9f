import Torch

extension BiSeNet {
    /// Attention refinement (`arm16`, `arm32`): a 3x3 ConvBNReLU whose output is rescaled per channel by a gate
    /// from its global average (`conv_atten`, `bn_atten`, sigmoid).
    public final class AttentionRefinement: Module, Layer {
        public let conv: ConvBNReLU
        public let conv_atten: Conv2d
        public let bn_atten: BatchNorm2d

        public init(_ inChannels: Int, _ outChannels: Int) throws {
            conv = try ConvBNReLU(inChannels, outChannels)
            conv_atten = try Conv2d(outChannels, outChannels, kernelSize: 1, bias: false)
            bn_atten = try BatchNorm2d(outChannels)
            super.init()
            try register(module: "conv", conv)
            try register(module: "conv_atten", conv_atten)
            try register(module: "bn_atten", bn_atten)
        }

        /// [N, in, H, W] -> [N, out, H, W]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let feature = try conv(x)
            let gate = try bn_atten(conv_atten(F.adaptiveAvgPool2d(feature, (1, 1)))).sigmoid()
            return try feature * gate
        }
    }
}
