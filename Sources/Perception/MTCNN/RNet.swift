import Torch

/// MTCNN's refinement network: scores 24x24 crops of P-Net's windows and regresses their boxes.
///
/// Keys: `features.conv1..3`, `features.prelu1..4`, `features.conv4` (a dense layer, [128, 576]), `conv5_1`
/// (face logits), `conv5_2` (box offsets).
final class RNet: Module {
    let conv1: Conv2d, prelu1: PReLU
    let conv2: Conv2d, prelu2: PReLU
    let conv3: Conv2d, prelu3: PReLU
    let conv4: Linear, prelu4: PReLU
    let conv5_1: Linear
    let conv5_2: Linear

    init(device: Device = .cpu) throws {
        conv1 = try Conv2d(3, 28, kernelSize: 3, device: device)
        prelu1 = try PReLU(numParameters: 28, device: device)
        conv2 = try Conv2d(28, 48, kernelSize: 3, device: device)
        prelu2 = try PReLU(numParameters: 48, device: device)
        conv3 = try Conv2d(48, 64, kernelSize: 2, device: device)
        prelu3 = try PReLU(numParameters: 64, device: device)
        conv4 = try Linear(576, 128, device: device)
        prelu4 = try PReLU(numParameters: 128, device: device)
        conv5_1 = try Linear(128, 2, device: device)
        conv5_2 = try Linear(128, 4, device: device)
        super.init()
        try register(module: "features", NamedLayers([
            "conv1": conv1, "prelu1": prelu1, "conv2": conv2, "prelu2": prelu2, "conv3": conv3, "prelu3": prelu3,
            "conv4": conv4, "prelu4": prelu4,
        ]))
        try register(module: "conv5_1", conv5_1)
        try register(module: "conv5_2", conv5_2)
    }

    /// x [N, 3, 24, 24] -> face probabilities [N, 2] (column 1 is "face") and offsets [N, 4].
    func callAsFunction(_ x: Tensor) throws -> (probabilities: Tensor, offsets: Tensor) {
        var h = try ceilMaxPool(prelu1(conv1(x)), kernel: 3, stride: 2)  // [N, 28, 11, 11]
        h = try ceilMaxPool(prelu2(conv2(h)), kernel: 3, stride: 2)  // [N, 48, 4, 4]
        h = try prelu3(conv3(h))  // [N, 64, 3, 3]
        h = try prelu4(conv4(flattenTransposed(h)))  // [N, 128]
        return (try F.softmax(conv5_1(h), dim: 1), try conv5_2(h))
    }
}
