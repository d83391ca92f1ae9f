import Torch

/// The classifier as an LPIPS trunk: five taps like AlexNet's, the stem's ReLU (before its max pool) and the
/// outputs of `layer1` ... `layer4`, with width, width, 2, 4 and 8 times width channels, at `inputSize` when set.
extension ResNet18Classifier: LPIPSTrunk {
    public var tapChannels: [Int] { [width, width, 2 * width, 4 * width, 8 * width] }

    public var minimumInputSize: Int { 1 }

    public func taps(_ x: Tensor) throws -> [Tensor] {
        let stem = try self.stem(x)
        return try [stem] + stageFeatures(stemOutput: stem)
    }

    public func accepts(inputShape: [Int]) -> Bool {
        inputShape.count == 4 && inputShape[1] == 3 && inputShape[2] >= 1 && inputShape[3] >= 1
    }

    public func tapShapes(inputShape: [Int]) throws -> [[Int]] {
        try layerShapes(inputShape: inputShape).taps
    }

    public func flops(inputShape: [Int]) throws -> Int {
        try layerShapes(inputShape: inputShape).flops
    }

    /// Tap shapes and convolution FLOPs, following each convolution's output shape.
    private func layerShapes(inputShape: [Int]) throws -> (taps: [[Int]], flops: Int) {
        guard accepts(inputShape: inputShape) else {
            throw TorchError("ResNet18Classifier: input \(inputShape) is not [N, 3, H, W]")
        }
        var shape = inputShape
        if let inputSize { shape = [shape[0], 3, inputSize, inputSize] }
        var flops = try conv1.flops(inputShape: shape)
        shape = try conv1.outputShape(inputShape: shape)
        var taps = [shape]
        shape = [shape[0], shape[1], (shape[2] + 1) / 2, (shape[3] + 1) / 2]
        for stage in [layer1, layer2, layer3, layer4] {
            for case let block as ResNetBasicBlock in stage {
                flops += try block.conv1.flops(inputShape: shape)
                if let down = block.downsample?.first(where: { $0 is Conv2d }) as? Conv2d {
                    flops += try down.flops(inputShape: shape)
                }
                let middle = try block.conv1.outputShape(inputShape: shape)
                flops += try block.conv2.flops(inputShape: middle)
                shape = try block.conv2.outputShape(inputShape: middle)
            }
            taps.append(shape)
        }
        return (taps, flops)
    }
}
