import Torch

/// torchvision's ResNet-18 without its classifier: `conv1`, `bn1` and `layer1` ... `layer4` of two `BasicBlock`s
/// each, under torchvision's names. BiSeNet's context path holds one (`cp.resnet`); `ResNet18Classifier` is one
/// with `fc` added, so both read their checkpoints with the same keys.
public class ResNet18Trunk: Module {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let layer1: Sequential
    public let layer2: Sequential
    public let layer3: Sequential
    public let layer4: Sequential

    /// torchvision's widths by default (stem 64, stages 64, 128, 256, 512).
    public init(inChannels: Int = 3, stem: Int = 64, stages: [Int] = [64, 128, 256, 512]) throws {
        guard inChannels >= 1, stem >= 1, stages.count == 4, stages.allSatisfy({ $0 >= 1 }) else {
            throw TorchError("ResNet-18: expected positive input and stem widths and 4 stage widths, got \(inChannels), "
                + "\(stem) and \(stages)")
        }
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

    /// `conv1`, `bn1` and the ReLU before the max pool: [N, in, H, W] -> [N, stem, H/2, W/2] (rounding up).
    public func stem(_ x: Tensor) throws -> Tensor {
        try bn1(conv1(x)).relu()
    }

    /// The stage outputs: [N, in, H, W] -> [N, stages[0], H/4, W/4], ... [N, stages[3], H/32, W/32] (sizes rounding
    /// up at each stride).
    public func stageFeatures(_ x: Tensor) throws -> [Tensor] {
        try stageFeatures(stemOutput: stem(x))
    }

    /// The stage outputs from `stem`'s output (before its max pool).
    public func stageFeatures(stemOutput: Tensor) throws -> [Tensor] {
        let f1 = try layer1(ResNetBasicBlock.stemPool(stemOutput))
        let f2 = try layer2(f1)
        let f3 = try layer3(f2)
        return [f1, f2, f3, try layer4(f3)]
    }
}
