import Torch

/// MTCNN's output network: scores 48x48 crops of R-Net's windows, regresses their boxes and places five landmarks.
///
/// Keys: `features.conv1..4`, `features.prelu1..5`, `features.conv5` (a dense layer, [256, 1152]), `conv6_1`
/// (face logits), `conv6_2` (box offsets), `conv6_3` (landmarks). The reference's dropout before `prelu5` is the
/// identity at inference and has no weights, so it is left out.
final class ONet: Module {
    let conv1: Conv2d, prelu1: PReLU
    let conv2: Conv2d, prelu2: PReLU
    let conv3: Conv2d, prelu3: PReLU
    let conv4: Conv2d, prelu4: PReLU
    let conv5: Linear, prelu5: PReLU
    let conv6_1: Linear
    let conv6_2: Linear
    let conv6_3: Linear

    init(device: Device = .cpu) throws {
        conv1 = try Conv2d(3, 32, kernelSize: 3, device: device)
        prelu1 = try PReLU(numParameters: 32, device: device)
        conv2 = try Conv2d(32, 64, kernelSize: 3, device: device)
        prelu2 = try PReLU(numParameters: 64, device: device)
        conv3 = try Conv2d(64, 64, kernelSize: 3, device: device)
        prelu3 = try PReLU(numParameters: 64, device: device)
        conv4 = try Conv2d(64, 128, kernelSize: 2, device: device)
        prelu4 = try PReLU(numParameters: 128, device: device)
        conv5 = try Linear(1152, 256, device: device)
        prelu5 = try PReLU(numParameters: 256, device: device)
        conv6_1 = try Linear(256, 2, device: device)
        conv6_2 = try Linear(256, 4, device: device)
        conv6_3 = try Linear(256, 10, device: device)
        super.init()
        try register(module: "features", NamedLayers([
            "conv1": conv1, "prelu1": prelu1, "conv2": conv2, "prelu2": prelu2, "conv3": conv3, "prelu3": prelu3,
            "conv4": conv4, "prelu4": prelu4, "conv5": conv5, "prelu5": prelu5,
        ]))
        try register(module: "conv6_1", conv6_1)
        try register(module: "conv6_2", conv6_2)
        try register(module: "conv6_3", conv6_3)
    }

    /// x [N, 3, 48, 48] -> face probabilities [N, 2], offsets [N, 4] and landmarks [N, 10]: the five x positions
    /// then the five y positions, as fractions of the crop's width and height.
    func callAsFunction(_ x: Tensor) throws -> (probabilities: Tensor, offsets: Tensor, landmarks: Tensor) {
        var h = try ceilMaxPool(prelu1(conv1(x)), kernel: 3, stride: 2)  // [N, 32, 23, 23]
        h = try ceilMaxPool(prelu2(conv2(h)), kernel: 3, stride: 2)  // [N, 64, 10, 10]
        h = try ceilMaxPool(prelu3(conv3(h)), kernel: 2, stride: 2)  // [N, 64, 4, 4]
        h = try prelu4(conv4(h))  // [N, 128, 3, 3]
        h = try prelu5(conv5(flattenTransposed(h)))  // [N, 256]
        return (try F.softmax(conv6_1(h), dim: 1), try conv6_2(h), try conv6_3(h))
    }
}
