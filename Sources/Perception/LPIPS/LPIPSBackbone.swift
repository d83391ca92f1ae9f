import Torch

/// The ImageNet classifier trunk whose features LPIPS compares, built as torchvision's `features` Sequential so the
/// published backbone files load unchanged (`features.N.weight|bias`).
///
/// LPIPS reads five feature maps, the ReLU outputs that close the slices of its `pretrained_networks`:
/// - AlexNet: relu1 ... relu5, the outputs of `features[0:2]`, `[2:5]`, `[5:8]`, `[8:10]`, `[10:12]`, with 64, 192,
///   384, 256, 256 channels; convolutions at 0, 3, 6, 8, 10; 2,469,696 parameters; 1.31 GFLOP at 224x224.
/// - VGG16: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3, the outputs of `[0:4]`, `[4:9]`, `[9:16]`, `[16:23]`,
///   `[23:30]`, with 64, 128, 256, 512, 512 channels; convolutions at 0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28;
///   14,714,688 parameters; 30.7 GFLOP at 224x224.
///
/// The final max pool after the last tap is not built: nothing reads it and it holds no weights.
public final class LPIPSBackbone: Module {
    public let network: LPIPS.Network
    public let features: Sequential
    /// Where each slice ends in `features` (exclusive); the layer before each end is the ReLU that LPIPS taps.
    public let tapEnds: [Int]
    /// Channels of the five feature maps.
    public let tapChannels: [Int]

    private enum Spec {
        case conv(Int, Int, kernel: Int, stride: Int, padding: Int)
        case relu
        case pool(kernel: Int, stride: Int)
    }

    /// Channels of VGG16's five stages (torchvision's configuration "D").
    public static let vgg16StageWidths = [64, 128, 256, 512, 512]

    public convenience init(_ network: LPIPS.Network, dtype: DType = .float32, device: Device = .cpu) throws {
        try self.init(network, vggStageWidths: LPIPSBackbone.vgg16StageWidths, dtype: dtype, device: device)
    }

    /// `vggStageWidths` sets the channels of the five VGG16 stages, so tests can check narrow copies of published
    /// networks; AlexNet ignores it.
    init(_ network: LPIPS.Network, vggStageWidths: [Int], dtype: DType = .float32, device: Device = .cpu) throws {
        self.network = network
        let specs: [Spec]
        switch network {
        case .alex:
            specs = [
                .conv(3, 64, kernel: 11, stride: 4, padding: 2), .relu, .pool(kernel: 3, stride: 2),
                .conv(64, 192, kernel: 5, stride: 1, padding: 2), .relu, .pool(kernel: 3, stride: 2),
                .conv(192, 384, kernel: 3, stride: 1, padding: 1), .relu,
                .conv(384, 256, kernel: 3, stride: 1, padding: 1), .relu,
                .conv(256, 256, kernel: 3, stride: 1, padding: 1), .relu,
            ]
            tapEnds = [2, 5, 8, 10, 12]
        case .testbed:
            throw TorchError("LPIPSBackbone: the testbed trunk is the attribute classifier (LPIPS(testbed:))")
        case .vgg:
            // torchvision's configuration "D" (0 marks a max pool), without the final pool.
            guard vggStageWidths.count == 5, vggStageWidths.allSatisfy({ $0 > 0 }) else {
                throw TorchError("LPIPSBackbone(vgg): stage widths must be 5 positive counts, got \(vggStageWidths)")
            }
            let w = vggStageWidths
            var vgg: [Spec] = []
            var channels = 3
            for width in [w[0], w[0], 0, w[1], w[1], 0, w[2], w[2], w[2], 0, w[3], w[3], w[3], 0, w[4], w[4], w[4]] {
                if width == 0 {
                    vgg.append(.pool(kernel: 2, stride: 2))
                } else {
                    vgg += [.conv(channels, width, kernel: 3, stride: 1, padding: 1), .relu]
                    channels = width
                }
            }
            specs = vgg
            tapEnds = [4, 9, 16, 23, 30]
        }
        var layers: [any Layer] = []
        var channels: [Int] = []
        for spec in specs {
            switch spec {
            case let .conv(cin, cout, kernel, stride, padding):
                layers.append(try Conv2d(cin, cout, kernelSize: Size2(kernel), stride: Size2(stride),
                                         padding: Size2(padding), dtype: dtype, device: device))
                channels.append(cout)
            case .relu:
                layers.append(ReLU())
                channels.append(channels.last ?? 3)
            case let .pool(kernel, stride):
                layers.append(LPIPSMaxPool(kernel: kernel, stride: stride))
                channels.append(channels.last ?? 3)
            }
        }
        features = try Sequential(layers)
        tapChannels = tapEnds.map { channels[$0 - 1] }
        super.init()
        try register(module: "features", features)
    }

    /// x [N, 3, H, W], already shifted and scaled -> the five feature maps [N, tapChannels[k], H_k, W_k].
    public func callAsFunction(_ x: Tensor) throws -> [Tensor] {
        try expectInput(x, ["N", 3, "H", "W"])
        var h = x
        var taps: [Tensor] = []
        var start = 0
        for end in tapEnds {
            for i in start..<end { h = try features[i](h) }
            taps.append(h)
            start = end
        }
        return taps
    }

    /// The shape entering each layer and, last, the shape leaving the last one; nil when a window no longer fits.
    private func layerShapes(inputShape: [Int]) -> [[Int]]? {
        var shapes = [inputShape]
        for layer in features {
            let shape = shapes[shapes.count - 1]
            switch layer {
            case let conv as Conv2d:
                guard let out = try? conv.outputShape(inputShape: shape) else { return nil }
                shapes.append(out)
            case let pool as LPIPSMaxPool:
                guard let out = pool.outputShape(inputShape: shape) else { return nil }
                shapes.append(out)
            default:
                shapes.append(shape)
            }
        }
        return shapes
    }

    /// Whether an [N, 3, H, W] input reaches every tap with a non-empty map.
    public func accepts(inputShape: [Int]) -> Bool {
        inputShape.count == 4 && inputShape[1] == 3 && layerShapes(inputShape: inputShape) != nil
    }

    /// The smallest square input side the backbone accepts (AlexNet 31, VGG16 16).
    public var minimumInputSize: Int {
        (1...).first { accepts(inputShape: [1, 3, $0, $0]) }!
    }

    /// Shapes of the five feature maps for an input of `inputShape` [N, 3, H, W].
    public func tapShapes(inputShape: [Int]) throws -> [[Int]] {
        guard accepts(inputShape: inputShape), let shapes = layerShapes(inputShape: inputShape) else {
            throw TorchError("LPIPSBackbone(\(network)): input \(inputShape) is not [N, 3, H, W] with H, W >= "
                + "\(minimumInputSize)")
        }
        return tapEnds.map { shapes[$0] }
    }

    /// Floating-point operations of one forward pass on `inputShape` [N, 3, H, W]: the convolutions' multiply-adds
    /// at 2 FLOPs each (ReLU, pooling and biases not counted), as `Conv2d.flops`.
    public func flops(inputShape: [Int]) throws -> Int {
        _ = try tapShapes(inputShape: inputShape)
        let shapes = layerShapes(inputShape: inputShape)!
        var total = 0
        for (i, layer) in features.enumerated() {
            if let conv = layer as? Conv2d { total += try conv.flops(inputShape: shapes[i]) }
        }
        return total
    }
}
