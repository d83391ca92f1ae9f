import Torch

extension IRSE50 {
    /// One `bottleneck_IR_SE` unit: a pre-activation residual branch (`res_layer`: batch norm, 3x3 conv, PReLU,
    /// 3x3 conv carrying the stride, batch norm, squeeze-excitation) added to a shortcut.
    public final class Unit: Module, Layer {
        public let stride: Int
        /// 1x1 conv and batch norm when the width changes; nil when the shortcut only subsamples (the reference's
        /// `MaxPool2d(1, stride)`, which has no weights).
        public let shortcut_layer: Sequential?
        public let res_layer: Sequential

        public init(_ inChannels: Int, _ depth: Int, stride: Int, seReduction: Int = 16) throws {
            self.stride = stride
            shortcut_layer = inChannels == depth ? nil : try Sequential(
                Conv2d(inChannels, depth, kernelSize: 1, stride: Size2(stride), bias: false), BatchNorm2d(depth))
            res_layer = try Sequential(
                BatchNorm2d(inChannels),
                Conv2d(inChannels, depth, kernelSize: 3, padding: 1, bias: false),
                PReLU(numParameters: depth),
                Conv2d(depth, depth, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false),
                BatchNorm2d(depth),
                SqueezeExcitation(depth, reduction: seReduction))
            super.init()
            try register(module: "shortcut_layer", shortcut_layer)
            try register(module: "res_layer", res_layer)
        }

        /// [N, in, H, W] -> [N, depth, ceil(H / stride), ceil(W / stride)]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            let shortcut = try shortcut_layer?(x)
                ?? F.maxPool2d(x, kernel: (1, 1), stride: (stride, stride))
            return try res_layer(x) + shortcut
        }
    }
}
