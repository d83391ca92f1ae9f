import Torch

extension BiSeNet {
    /// Feature fusion (`ffm`): concatenates the spatial and context features, mixes them with a 1x1 ConvBNReLU
    /// (`convblk`) and adds a channel-gated copy of the mix (`conv1`, ReLU, `conv2`, sigmoid on its global average).
    public final class FeatureFusion: Module {
        public let convblk: ConvBNReLU
        public let conv1: Conv2d
        public let conv2: Conv2d

        public init(_ inChannels: Int, _ outChannels: Int) throws {
            convblk = try ConvBNReLU(inChannels, outChannels, kernelSize: 1, padding: 0)
            conv1 = try Conv2d(outChannels, outChannels / 4, kernelSize: 1, bias: false)
            conv2 = try Conv2d(outChannels / 4, outChannels, kernelSize: 1, bias: false)
            super.init()
            try register(module: "convblk", convblk)
            try register(module: "conv1", conv1)
            try register(module: "conv2", conv2)
        }

        /// spatial [N, Cs, H, W] and context [N, Cc, H, W] with Cs + Cc = in -> [N, out, H, W]
        public func callAsFunction(_ spatial: Tensor, _ context: Tensor) throws -> Tensor {
            let feature = try convblk(Tensor.cat([spatial, context], dim: 1))
            let gate = try conv2(conv1(F.adaptiveAvgPool2d(feature, (1, 1))).relu()).sigmoid()
            return try feature * gate + feature
        }
    }
}
