import Torch

extension BiSeNet {
    /// A classification head (`BiSeNetOutput`): 3x3 ConvBNReLU then a 1x1 conv without bias to class logits.
    public final class OutputHead: Module, Layer {
        public let conv: ConvBNReLU
        public let conv_out: Conv2d

        public init(_ inChannels: Int, _ midChannels: Int, classCount: Int) throws {
            conv = try ConvBNReLU(inChannels, midChannels)
            conv_out = try Conv2d(midChannels, classCount, kernelSize: 1, bias: false)
            super.init()
            try register(module: "conv", conv)
            try register(module: "conv_out", conv_out)
        }

        /// [N, in, H, W] -> [N, classes, H, W]
        public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv_out(conv(x)) }
    }
}
