import Torch

extension BiSeNet {
    /// The ResNet-18 trunk of the context path (`cp.resnet`, torchvision's names, no classifier), returning the
    /// 1/8, 1/16 and 1/32 features.
    public final class ResNet18: Module {
        public let conv1: Conv2d
        public let bn1: BatchNorm2d
        public let layer1: Sequential
        public let layer2: Sequential
        public let layer3: Sequential
        public let layer4: Sequential

        public init(inChannels: Int = 3) throws {
            conv1 = try Conv2d(inChannels, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
            bn1 = try BatchNorm2d(64)
            func layer(_ inChannels: Int, _ outChannels: Int, stride: Int) throws -> Sequential {
                try Sequential(ResNetBasicBlock(inChannels, outChannels, stride: stride),
                               ResNetBasicBlock(outChannels, outChannels, stride: 1))
            }
            layer1 = try layer(64, 64, stride: 1)
            layer2 = try layer(64, 128, stride: 2)
            layer3 = try layer(128, 256, stride: 2)
            layer4 = try layer(256, 512, stride: 2)
            super.init()
            try register(module: "conv1", conv1)
            try register(module: "bn1", bn1)
            try register(module: "layer1", layer1)
            try register(module: "layer2", layer2)
            try register(module: "layer3", layer3)
            try register(module: "layer4", layer4)
        }

        /// [N, in, H, W] -> ([N, 128, H/8, W/8], [N, 256, H/16, W/16], [N, 512, H/32, W/32]), sizes rounding up.
        public func callAsFunction(_ x: Tensor) throws -> (feat8: Tensor, feat16: Tensor, feat32: Tensor) {
            let stem = try F.maxPool2d(bn1(conv1(x)).relu(), kernel: (3, 3), stride: (2, 2), padding: (1, 1))
            let feat8 = try layer2(layer1(stem))
            let feat16 = try layer3(feat8)
            return (feat8, feat16, try layer4(feat16))
        }
    }
}
