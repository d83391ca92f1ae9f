import Torch

/// The ResNet-50 that MoCo v2 trains as its query encoder, up to the global average pool: torchvision's `resnet50`
/// layout (`conv1`, `bn1`, `layer1` ... `layer4`), so the checkpoint's `module.encoder_q.*` keys load once the prefix
/// is removed (see `load(checkpoint:)`).
///
/// MoCo v2 replaces torchvision's 1000-class `fc` with a projection head (`fc.0` Linear 2048 -> 2048, ReLU, `fc.2`
/// Linear 2048 -> 128). The similarity loss of pSp/e4e/ReStyle reads the features before any head, so neither head
/// is built here.
///
/// Parameters: 23,508,032 (torchvision's resnet50 has 25,557,032 with its fc; MoCo's encoder_q 27,966,656 with
/// its 4,458,624-parameter head). FLOPs at 224x224, 2 per multiply-add of the convolutions: 8,174,272,512 per
/// image (counted with forward hooks on torchvision's model; batch norm, ReLU and pooling not counted).
public final class MoCoResNet50: Module {
    /// Bottleneck counts and widths of the four stages; stages 2-4 halve the resolution in their first block.
    public static let stages: [(blocks: Int, width: Int)] = [(3, 64), (4, 128), (6, 256), (3, 512)]
    public static let featureDimension = 2048

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let layer1: ModuleList<MoCoBottleneck>
    public let layer2: ModuleList<MoCoBottleneck>
    public let layer3: ModuleList<MoCoBottleneck>
    public let layer4: ModuleList<MoCoBottleneck>

    /// A network with freshly initialised weights; load trained ones with `load(checkpoint:)`.
    public init(dtype: DType = .float32, device: Device = .cpu) throws {
        conv1 = try Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false, dtype: dtype, device: device)
        bn1 = try BatchNorm2d(64, dtype: dtype, device: device)
        var channels = 64
        var layers: [ModuleList<MoCoBottleneck>] = []
        for (index, stage) in MoCoResNet50.stages.enumerated() {
            let layer = try ModuleList<MoCoBottleneck>()
            for block in 0..<stage.blocks {
                let stride = index > 0 && block == 0 ? 2 : 1
                try layer.append(MoCoBottleneck(channels, width: stage.width, stride: stride, dtype: dtype,
                                                device: device))
                channels = 4 * stage.width
            }
            layers.append(layer)
        }
        (layer1, layer2, layer3, layer4) = (layers[0], layers[1], layers[2], layers[3])
        super.init()
        try register(module: "conv1", conv1)
        try register(module: "bn1", bn1)
        try register(module: "layer1", layer1)
        try register(module: "layer2", layer2)
        try register(module: "layer3", layer3)
        try register(module: "layer4", layer4)
    }

    /// The dtype of the weights, which inputs must match.
    public var dtype: DType { conv1.weight.dtype }

    /// x [N, 3, H, W] -> [N, 2048], the global average of the last stage (H, W / 32 rounded up; 7x7 at 224).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", 3, "H", "W"])
        var out = try bn1(conv1(x)).relu()
        out = try F.maxPool2d(out, kernel: (3, 3), stride: (2, 2), padding: (1, 1))
        for layer in [layer1, layer2, layer3, layer4] {
            for block in layer { out = try block(out) }
        }
        return try F.adaptiveAvgPool2d(out, (1, 1)).flatten(from: 1)
    }
}
