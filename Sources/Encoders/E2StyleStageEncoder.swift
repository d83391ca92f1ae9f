import Perception
import Torch

/// One stage of E2Style: `BackboneEncoderFirstStage` (the image, 3 channels) or `BackboneEncoderRefineStage`
/// (the image beside the previous stage's reconstruction, 6 channels). Its shallower trunk stops after body.20
/// (units 21-23 are in the state dict but never run) and three heads of batch norm, adaptive average pool,
/// flatten and linear read codes off three scales:
/// - `output_layer_3`: body.20 ([N, 256, 32, 32] at 256, 1/8), the first 9 rows (coarse);
/// - `output_layer_4`: body.6 ([N, 128, 64, 64], 1/4), the next 5 (medium);
/// - `output_layer_5`: body.2 ([N, 64, 128, 128], 1/2), the last 4 (fine).
///
/// 111,241,792 parameters (first stage, official heads), 111,243,520 (refinement stage).
public final class E2StyleStageEncoder: Module, StyleCodeNetwork {
    /// Rows a head predicts and the size it pools its map to.
    public struct Head: Equatable, Sendable {
        public var codes: Int
        public var pool: Int

        public init(codes: Int, pool: Int) {
            self.codes = codes
            self.pool = pool
        }
    }

    /// The three heads, coarse to fine.
    public struct Heads: Equatable, Sendable {
        public var coarse: Head
        public var medium: Head
        public var fine: Head

        public init(coarse: Head, medium: Head, fine: Head) {
            self.coarse = coarse
            self.medium = medium
            self.fine = fine
        }

        /// The official code and checkpoints: every head pools to 7x7.
        public static let official = Heads(coarse: Head(codes: 9, pool: 7), medium: Head(codes: 5, pool: 7),
                                           fine: Head(codes: 4, pool: 7))
        /// The paper's description: pools of 7, 5 and 3 for the coarse, medium and fine heads.
        public static let paper = Heads(coarse: Head(codes: 9, pool: 7), medium: Head(codes: 5, pool: 5),
                                        fine: Head(codes: 4, pool: 3))

        /// Each head with the channels and body unit of the map it reads and its key, in output-row order.
        var layout: [(head: Head, channels: Int, unit: Int, key: String)] {
            [(coarse, 256, 20, "output_layer_3"), (medium, 128, 6, "output_layer_4"), (fine, 64, 2, "output_layer_5")]
        }

        /// The heads a state dict's `output_layer_k.3.weight` shapes ([codes * 512, channels * pool^2]) describe.
        public init(inferringFrom shapes: [String: [Int]]) throws {
            var heads: [Head] = []
            for (_, channels, _, name) in Heads.official.layout {
                let key = name + ".3.weight"
                guard let s = shapes[key], s.count == 2 else { throw TorchError("E2Style stage: no 2-d \"\(key)\" tensor") }
                let pool = Int(Double(s[1] / channels).squareRoot().rounded())
                guard s[0] > 0, s[0] % 512 == 0, pool > 0, pool * pool * channels == s[1] else {
                    throw TorchError("E2Style stage: \(key) is \(s), expected [codes * 512, \(channels) * pool * pool]")
                }
                heads.append(Head(codes: s[0] / 512, pool: pool))
            }
            self.init(coarse: heads[0], medium: heads[1], fine: heads[2])
        }
    }

    public let inputChannels: Int
    public let heads: Heads
    public let input_layer: Sequential
    public let output_layer_3: Sequential
    public let output_layer_4: Sequential
    public let output_layer_5: Sequential
    public let body: ModuleList<IRSE50.Unit>

    public var styleCount: Int { heads.coarse.codes + heads.medium.codes + heads.fine.codes }

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int, heads: Heads = .official) throws {
        self.inputChannels = inputChannels
        self.heads = heads
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels)
        let outputLayers = try heads.layout.map { h in
            try Sequential(BatchNorm2d(h.channels), AdaptiveAvgPoolLayer(h.head.pool), Flatten(),
                           Linear(h.channels * h.head.pool * h.head.pool, 512 * h.head.codes))
        }
        (output_layer_3, output_layer_4, output_layer_5) = (outputLayers[0], outputLayers[1], outputLayers[2])
        body = try IRSE50Trunk.body()
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "output_layer_3", output_layer_3)
        try register(module: "output_layer_4", output_layer_4)
        try register(module: "output_layer_5", output_layer_5)
        try register(module: "body", body)
        eval()
    }

    /// The reference's `forward` (a refinement stage's input already concatenated):
    /// [N, inputChannels, 256, 256] -> [N, styleCount, 512], coarse rows first.
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let taps = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: 20, taps: [2, 6, 20])
        let outputLayers = [output_layer_3, output_layer_4, output_layer_5]
        let parts = try zip(heads.layout, outputLayers).map { h, layer in
            try layer(taps[h.unit]!).view([-1, h.head.codes, 512])
        }
        return try Tensor.cat(parts, dim: 1)
    }
}
