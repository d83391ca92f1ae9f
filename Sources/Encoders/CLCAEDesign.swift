import Foundation
import Torch

extension CLCAE {
    /// The architecture of CLCAE's encoders: the IR-SE trunk (its style dimension is also the width of the codes, the
    /// attentions, the projections and the latent encoder), the F-space feature the inversion encoder writes, and the
    /// coach's ablations (`--not_for_feature`, `--no_feature_attention`, `--no_w_attention`, `--no_res`).
    ///
    /// `released` is the published one: IR-SE50 on 256-pixel images, 512-dimensional codes, a 512x16x16 feature, every
    /// attention. Narrower trunks keep every key and change only shapes, for the testbed's small generators; the trunk's
    /// last stage must be as wide as the codes, since the F cross attention's queries (p1 positions) and keys (w) share
    /// one width.
    public struct Design: Codable, Equatable, Hashable, Sendable {
        public var trunk: StyleEncoderConfiguration
        /// Channels and side of the feature: those of the generator layer it replaces.
        public var featureChannels: Int
        public var featureSize: Int
        /// The feature branch (`content_layer` and the F cross attention); false is `--not_for_feature`.
        public var forFeature: Bool
        /// The F cross attention before `content_layer`; false is `--no_feature_attention` (two strided convs on p1).
        public var featureAttention: Bool
        /// One cross attention per w+ row; false is `--no_w_attention` (the rows' codes are the offsets).
        public var wAttention: Bool
        /// `--no_res`: the F cross attention's memory is a map decoded from w (`decoder`), not w itself.
        public var decodedQuery: Bool
        /// Without the feature: the reconstruction renders w+ (true) or w on every row (`--not_for_ww`).
        public var forWW: Bool

        public init(trunk: StyleEncoderConfiguration = .official, featureChannels: Int = 512, featureSize: Int = 16,
                    forFeature: Bool = true, featureAttention: Bool = true, wAttention: Bool = true,
                    decodedQuery: Bool = false, forWW: Bool = true)
        {
            self.forWW = forWW
            self.trunk = trunk
            self.featureChannels = featureChannels
            self.featureSize = featureSize
            self.forFeature = forFeature
            self.featureAttention = featureAttention
            self.wAttention = wAttention
            self.decodedQuery = decodedQuery
        }

        public static let released = Design()

        /// The width of codes and attentions.
        public var width: Int { trunk.styleDim }
        /// The attentions' heads and feed-forward width (the reference's 4 and 1024 at width 512).
        public var heads: Int { 4 }
        public var feedForward: Int { 2 * width }
        /// Side of p1, the finest pyramid level (64 for 256-pixel images).
        public var p1Size: Int { trunk.inputSize / 4 }

        /// Throws unless the trunk is valid, as wide as the codes at its last stage, the codes split into 4 heads, and
        /// the feature a power-of-two side no larger than p1 (`content_layer` halves p1 down to it).
        public func validate() throws {
            try trunk.validate()
            func check(_ ok: Bool, _ message: String) throws {
                if !ok { throw TorchError("CLCAE design: \(message)") }
            }
            try check(trunk.finalDepth == width, "the trunk's last stage (\(trunk.finalDepth) channels) must be as wide as "
                + "the codes (\(width))")
            try check(width % heads == 0, "the code width \(width) must split into \(heads) heads")
            try check(featureChannels >= 1 && featureSize >= 1 && featureSize.nonzeroBitCount == 1 && featureSize <= p1Size,
                      "the feature must be a power-of-two side up to \(p1Size), got \(featureChannels)x\(featureSize)")
            // `content_layer`'s convs both halve p1 and set the channels; with none (p1 already the feature's side) the
            // feature keeps the code width.
            try check(featureSize < p1Size || featureChannels == width,
                      "a \(featureSize)x\(featureSize) feature from a \(p1Size)x\(p1Size) p1 keeps the code width (\(width) "
                          + "channels), but the layer has \(featureChannels); use larger encoder inputs")
            try check(featureAttention || featureSize * 4 == p1Size,
                      "without the feature attention the feature is p1 halved twice (\(p1Size / 4)), got \(featureSize)")
        }

        /// Where checkpoints record a design other than `released`: a JSON string under this key of `opts`, beside the
        /// coach's own flags.
        public static let optionKey = "stylegankit_clcae"

        public func optionValue() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        public static func decode(option json: String) throws -> Design {
            let design = try JSONDecoder().decode(Design.self, from: Data(json.utf8))
            try design.validate()
            return design
        }

        /// The design a checkpoint's `opts` record: ours under `optionKey`, else the released one with the coach's
        /// ablation flags.
        public init(options: EncoderOptions) throws {
            if let json = try options.string(Self.optionKey) {
                self = try Self.decode(option: json)
                return
            }
            self = .released
            forFeature = !(try options.bool("not_for_feature") ?? false)
            forWW = !(try options.bool("not_for_ww") ?? false)
            featureAttention = !(try options.bool("no_feature_attention") ?? false)
            wAttention = !(try options.bool("no_w_attention") ?? false)
            decodedQuery = try options.bool("no_res") ?? false
        }
    }

    /// The `--no_res` query decoder (`Decoder(in_c, out_c, deconv_nums)`): transposed 3x3 convs with stride 2, batch
    /// norm and ReLU, doubling w's 1x1 map up to p1's side: [N, D, 1, 1] -> [N, D, S, S].
    public final class Decoder: Module, Layer {
        public let model: Sequential

        public init(_ channels: Int, upsamplings: Int) throws {
            var layers: [any Layer] = []
            for _ in 0..<upsamplings {
                layers.append(try ConvTranspose2d(channels, channels, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1,
                                                  bias: false))
                layers.append(try BatchNorm2d(channels))
                layers.append(ReLU())
            }
            model = try Sequential(layers)
            super.init()
            try register(module: "model", model)
        }

        public func callAsFunction(_ x: Tensor) throws -> Tensor { try model(x) }
    }
}
