import Perception
import Torch

/// The IR-SE50 trunk of the pSp-family encoders (pSp, e4e, ReStyle, E2Style): TreB1eN's `input_layer` (3x3 conv,
/// batch norm, PReLU) and the 24 `bottleneck_IR_SE` units of `get_blocks(50)`, built from Perception's
/// `IRSE50.Unit` so that `input_layer.*` and `body.N.*` are the official checkpoints' keys; a
/// `StyleEncoderConfiguration` sets its widths and depths.
///
/// Each encoder registers the two parts itself, in its reference's attribute order, so its `stateDict()` lists
/// keys as the official file does. Trainable parameters: input layer 1,920 (3 channels) or 3,648 (6), body
/// 30,948,160.
enum IRSE50Trunk {
    /// 3x3 conv without bias, batch norm, PReLU: [N, channels, H, W] -> [N, stem, H, W].
    static func inputLayer(channels: Int, _ configuration: StyleEncoderConfiguration = .official) throws -> Sequential {
        let stem = configuration.stem
        return try Sequential(
            Conv2d(channels, stem, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(stem), PReLU(numParameters: stem))
    }

    /// The units of every stage, each stage's first halving the resolution. Official outputs at 256 input: units 0-2
    /// [N, 64, 128, 128], 3-6 [N, 128, 64, 64], 7-20 [N, 256, 32, 32], 21-23 [N, 512, 16, 16].
    static func body(_ configuration: StyleEncoderConfiguration = .official) throws -> ModuleList<IRSE50.Unit> {
        let body = try ModuleList<IRSE50.Unit>()
        var inChannels = configuration.stem
        for stage in configuration.stages {
            try body.append(IRSE50.Unit(inChannels, stage.depth, stride: 2, seReduction: configuration.seReduction))
            for _ in 1..<stage.units {
                try body.append(IRSE50.Unit(stage.depth, stage.depth, stride: 1, seReduction: configuration.seReduction))
            }
            inChannels = stage.depth
        }
        return body
    }

    /// Runs `inputLayer` and units 0...`last`, returning the outputs of the units listed in `taps` by index.
    static func run(_ x: Tensor, inputLayer: Sequential, body: ModuleList<IRSE50.Unit>, through last: Int,
                    taps: Set<Int>) throws -> [Int: Tensor]
    {
        var h = try inputLayer(x)
        var outputs: [Int: Tensor] = [:]
        for i in 0...last {
            h = try body[i](h)
            if taps.contains(i) { outputs[i] = h }
        }
        return outputs
    }
}

/// `torch.nn.AdaptiveAvgPool2d` as a layer, so the Sequential heads keep the reference's child indices.
final class AdaptiveAvgPoolLayer: Module, Layer {
    let size: Int

    init(_ size: Int) {
        self.size = size
        super.init()
    }

    /// [N, C, H, W] -> [N, C, size, size]
    func callAsFunction(_ x: Tensor) throws -> Tensor { try F.adaptiveAvgPool2d(x, (size, size)) }
}

/// Checks images at an encoder's boundary: [N, channels, height, width].
func expectImages(_ x: Tensor, channels: Int, height: Int, width: Int, for who: String) throws {
    let s = x.shape
    guard s.count == 4, s[1] == channels, s[2] == height, s[3] == width else {
        throw TorchError("\(who): expected images [N, \(channels), \(height), \(width)], got \(s)")
    }
}
