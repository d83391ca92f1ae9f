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

        /// torchvision's widths by default (stem 64, stages 64, 128, 256, 512).
        public init(inChannels: Int = 3, stem: Int = 64, stages: [Int] = [64, 128, 256, 512]) throws {
            guard stages.count == 4 else { throw TorchError("BiSeNet.ResNet18: expected 4 stage widths, got \(stages)") }
            conv1 = try Conv2d(inChannels, stem, kernelSize: 7, stride: 2, padding: 3, bias: false)
            bn1 = try BatchNorm2d(stem)
            layer1 = try ResNetBasicBlock.resNet18Stage(stem, stages[0], stride: 1)
            layer2 = try ResNetBasicBlock.resNet18Stage(stages[0], stages[1], stride: 2)
            layer3 = try ResNetBasicBlock.resNet18Stage(stages[1], stages[2], stride: 2)
            layer4 = try ResNetBasicBlock.resNet18Stage(stages[2], stages[3], stride: 2)
            super.init()
            try register(module: "conv1", conv1)
            try register(module: "bn1", bn1)
            try register(module: "layer1", layer1)
            try register(module: "layer2", layer2)
            try register(module: "layer3", layer3)
            try register(module: "layer4", layer4)
        }

        /// [N, in, H, W] -> ([N, stages[1], H/8, W/8], [N, stages[2], H/16, W/16], [N, stages[3], H/32, W/32]),
        /// sizes rounding up.
        public func callAsFunction(_ x: Tensor) throws -> (feat8: Tensor, feat16: Tensor, feat32: Tensor) {
            let stem = try ResNetBasicBlock.stem(x, conv1: conv1, bn1: bn1)
            let feat8 = try layer2(layer1(stem))
            let feat16 = try layer3(feat8)
            return (feat8, feat16, try layer4(feat16))
        }
    }
}
