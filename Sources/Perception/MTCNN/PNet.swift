import Torch

/// MTCNN's proposal network: a fully convolutional 12x12 face/non-face classifier slid over the image with stride 2.
///
/// Keys as in the reference checkpoint: `features.conv1..3`, `features.prelu1..3`, `conv4_1` (face logits),
/// `conv4_2` (box offsets).
final class PNet: Module {
    let conv1: Conv2d, prelu1: PReLU
    let conv2: Conv2d, prelu2: PReLU
    let conv3: Conv2d, prelu3: PReLU
    let conv4_1: Conv2d
    let conv4_2: Conv2d

    init(device: Device = .cpu) throws {
        conv1 = try Conv2d(3, 10, kernelSize: 3, device: device)
        prelu1 = try PReLU(numParameters: 10, device: device)
        conv2 = try Conv2d(10, 16, kernelSize: 3, device: device)
        prelu2 = try PReLU(numParameters: 16, device: device)
        conv3 = try Conv2d(16, 32, kernelSize: 3, device: device)
        prelu3 = try PReLU(numParameters: 32, device: device)
        conv4_1 = try Conv2d(32, 2, kernelSize: 1, device: device)
        conv4_2 = try Conv2d(32, 4, kernelSize: 1, device: device)
        super.init()
        try register(module: "features", NamedLayers([
            "conv1": conv1, "prelu1": prelu1, "conv2": conv2, "prelu2": prelu2, "conv3": conv3, "prelu3": prelu3,
        ]))
        try register(module: "conv4_1", conv4_1)
        try register(module: "conv4_2", conv4_2)
    }

    /// x [N, 3, H, W] (normalised pixels) -> face probabilities [N, 2, H', W'] (channel 1 is "face") and offsets
    /// [N, 4, H', W'], with H' = ceil((H - 2) / 2) - 4.
    func callAsFunction(_ x: Tensor) throws -> (probabilities: Tensor, offsets: Tensor) {
        var h = try ceilMaxPool(prelu1(conv1(x)), kernel: 2, stride: 2)
        h = try prelu3(conv3(prelu2(conv2(h))))
        return (try F.softmax(conv4_1(h), dim: 1), try conv4_2(h))
    }
}
