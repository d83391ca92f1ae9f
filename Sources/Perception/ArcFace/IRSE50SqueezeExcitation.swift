import Torch

extension IRSE50 {
    /// Squeeze-excitation (`SEModule`): rescales each channel by a gate computed from the channel means through a
    /// bottleneck of 1x1 convs without bias (`fc1`, ReLU, `fc2`, sigmoid).
    public final class SqueezeExcitation: Module, Layer {
        public let fc1: Conv2d
        public let fc2: Conv2d

        public init(_ channels: Int, reduction: Int) throws {
            fc1 = try Conv2d(channels, channels / reduction, kernelSize: 1, bias: false)
            fc2 = try Conv2d(channels / reduction, channels, kernelSize: 1, bias: false)
            super.init()
            try register(module: "fc1", fc1)
            try register(module: "fc2", fc2)
        }

        /// [N, C, H, W] -> same
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let gate = try fc2(fc1(F.adaptiveAvgPool2d(x, (1, 1))).relu()).sigmoid()
            return try x * gate
        }
    }
}
