import Perception
import Torch

/// The IR-SE50 trunk of the pSp-family encoders (pSp, e4e, ReStyle, E2Style): TreB1eN's `input_layer` (3x3 conv,
/// batch norm, PReLU) and the 24 `bottleneck_IR_SE` units of `get_blocks(50)`, built from Perception's
/// `IRSE50.Unit` so that `input_layer.*` and `body.N.*` are the official checkpoints' keys.
///
/// Each encoder registers the two parts itself, in its reference's attribute order, so its `stateDict()` lists
/// keys as the official file does. Trainable parameters: input layer 1,920 (3 channels) or 3,648 (6), body
/// 30,948,160.
enum IRSE50Trunk {
    /// (input channels, depth, units) of the four stages; each stage's first unit halves the resolution.
    static let stages = [(64, 64, 3), (64, 128, 4), (128, 256, 14), (256, 512, 3)]

    /// 3x3 conv without bias, batch norm, PReLU: [N, channels, H, W] -> [N, 64, H, W].
    static func inputLayer(channels: Int) throws -> Sequential {
        try Sequential(
            Conv2d(channels, 64, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(64), PReLU(numParameters: 64))
    }

    /// Units 0...23. Outputs at 256 input: units 0-2 [N, 64, 128, 128], 3-6 [N, 128, 64, 64],
    /// 7-20 [N, 256, 32, 32], 21-23 [N, 512, 16, 16].
    static func body() throws -> ModuleList<IRSE50.Unit> {
        let body = try ModuleList<IRSE50.Unit>()
        for (inChannels, depth, units) in stages {
            try body.append(IRSE50.Unit(inChannels, depth, stride: 2))
            for _ in 1..<units { try body.append(IRSE50.Unit(depth, depth, stride: 1)) }
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
