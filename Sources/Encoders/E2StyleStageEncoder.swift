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
/// 111,241,792 parameters (first stage, official heads), 111,243,520 (refinement stage). A narrower
/// `StyleEncoderConfiguration` keeps the keys: the heads read the ends of its first three stages.
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

        /// The official heads' split of 18 rows (9, 5, 4) scaled to `styleCount` rows, for generators other than
        /// 1024 px (the official code always predicts 18): the fine head gets round(4n / 18), the coarse round(n / 2),
        /// the medium the rest; official pools.
        public static func scaled(styleCount n: Int) -> Heads {
            guard n != 18 else { return .official }
            let fine = max(1, Int((Double(4 * n) / 18).rounded())), coarse = max(1, Int((Double(n) / 2).rounded()))
            return Heads(coarse: Head(codes: coarse, pool: 7), medium: Head(codes: max(1, n - coarse - fine), pool: 7),
                         fine: Head(codes: fine, pool: 7))
        }

        /// Each head with the channels and body unit of the map it reads and its key, in output-row order.
        func layout(_ configuration: StyleEncoderConfiguration) -> [(head: Head, channels: Int, unit: Int, key: String)] {
            let depths = configuration.stages.map(\.depth), ends = configuration.stageEnds
            return [(coarse, depths[2], ends[2], "output_layer_3"), (medium, depths[1], ends[1], "output_layer_4"),
                    (fine, depths[0], ends[0], "output_layer_5")]
        }

        /// The heads a state dict's `output_layer_k.3.weight` shapes ([codes * D, channels * pool^2]) describe.
        public init(inferringFrom shapes: [String: [Int]], configuration: StyleEncoderConfiguration = .official) throws {
            var heads: [Head] = []
            let dim = configuration.styleDim
            for (_, channels, _, name) in Heads.official.layout(configuration) {
                let key = name + ".3.weight"
                guard let s = shapes[key], s.count == 2 else { throw TorchError("E2Style stage: no 2-d \"\(key)\" tensor") }
                let pool = Int(Double(s[1] / channels).squareRoot().rounded())
                guard s[0] > 0, s[0] % dim == 0, pool > 0, pool * pool * channels == s[1] else {
                    throw TorchError("E2Style stage: \(key) is \(s), expected [codes * \(dim), \(channels) * pool * pool]")
                }
                heads.append(Head(codes: s[0] / dim, pool: pool))
            }
            self.init(coarse: heads[0], medium: heads[1], fine: heads[2])
        }
    }

    public let inputChannels: Int
    public let heads: Heads
    public let configuration: StyleEncoderConfiguration
    public let input_layer: Sequential
    public let output_layer_3: Sequential
    public let output_layer_4: Sequential
    public let output_layer_5: Sequential
    public let body: ModuleList<IRSE50.Unit>

    public var styleCount: Int { heads.coarse.codes + heads.medium.codes + heads.fine.codes }
    public var styleDim: Int { configuration.styleDim }
    public var inputSize: Int { configuration.inputSize }

    /// Built in eval mode, with random weights until loaded.
    public init(inputChannels: Int, heads: Heads = .official, configuration: StyleEncoderConfiguration = .official) throws {
        try configuration.validate()
        self.inputChannels = inputChannels
        self.heads = heads
        self.configuration = configuration
        input_layer = try IRSE50Trunk.inputLayer(channels: inputChannels, configuration)
        let outputLayers = try heads.layout(configuration).map { h in
            try Sequential(BatchNorm2d(h.channels), AdaptiveAvgPoolLayer(h.head.pool), Flatten(),
                           Linear(h.channels * h.head.pool * h.head.pool, configuration.styleDim * h.head.codes))
        }
        (output_layer_3, output_layer_4, output_layer_5) = (outputLayers[0], outputLayers[1], outputLayers[2])
        body = try IRSE50Trunk.body(configuration)
        super.init()
        try register(module: "input_layer", input_layer)
        try register(module: "output_layer_3", output_layer_3)
        try register(module: "output_layer_4", output_layer_4)
        try register(module: "output_layer_5", output_layer_5)
        try register(module: "body", body)
        eval()
    }

    /// The reference's `forward` (a refinement stage's input already concatenated):
    /// [N, inputChannels, S, S] -> [N, styleCount, styleDim], coarse rows first (S = 256 official).
    public func styleCodes(_ x: Tensor) throws -> Tensor {
        try expectInput(x, ["N", .size(inputChannels), "H", "W"])
        let ends = configuration.stageEnds
        let taps = try IRSE50Trunk.run(x, inputLayer: input_layer, body: body, through: ends[2], taps: Set(ends.prefix(3)))
        let outputLayers = [output_layer_3, output_layer_4, output_layer_5]
        let parts = try zip(heads.layout(configuration), outputLayers).map { h, layer in
            try layer(taps[h.unit]!).view([-1, h.head.codes, configuration.styleDim])
        }
        return try Tensor.cat(parts, dim: 1)
    }
}
