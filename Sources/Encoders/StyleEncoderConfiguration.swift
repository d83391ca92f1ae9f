import Foundation
import Perception
import Torch

/// The widths and input size of a pSp-family encoder (pSp's `GradualStyleEncoder` and backbone encoders, e4e's
/// `Encoder4Editing`): its IR-SE trunk, the length of the style codes and the side of the images it reads.
///
/// `official` is `GradualStyleEncoder(50, "ir_se")` on 256-pixel images for a 512-dimensional W. Narrower ones keep
/// every key (`input_layer.*`, `body.N.*`, `styles.N.*`, `latlayer1/2`) and change only shapes and counts, so the
/// testbed's small generators get encoders trainable on a CPU. The style blocks read the trunk's last three stages
/// at 1/16, 1/8 and 1/4 of `inputSize` (16, 32 and 64 pixels for the official 256).
public struct StyleEncoderConfiguration: Codable, Equatable, Hashable, Sendable {
    /// Channels of `input_layer`.
    public var stem: Int
    /// Four IR-SE stages; each halves the resolution. The last three feed the style blocks.
    public var stages: [IRSE50.Configuration.Stage]
    /// Squeeze-excitation bottleneck ratio of the units.
    public var seReduction: Int
    /// Length of each style code: the generator's style dimension.
    public var styleDim: Int
    /// Side of the square images the encoder reads.
    public var inputSize: Int

    public init(stem: Int, stages: [IRSE50.Configuration.Stage], seReduction: Int, styleDim: Int, inputSize: Int) {
        self.stem = stem
        self.stages = stages
        self.seReduction = seReduction
        self.styleDim = styleDim
        self.inputSize = inputSize
    }

    /// pSp's, e4e's and ReStyle's IR-SE50 encoder: stages of 3, 4, 14 and 3 units, 64 to 512 channels, 256 pixels.
    public static let official = StyleEncoderConfiguration(
        stem: 64, stages: [.init(depth: 64, units: 3), .init(depth: 128, units: 4), .init(depth: 256, units: 14),
                           .init(depth: 512, units: 3)],
        seReduction: 16, styleDim: 512, inputSize: 256)

    /// ReStyle's ResNet-34 encoders (`ResNetBackboneEncoder`): a 64-channel stem, torchvision's four stages of 3, 4, 6
    /// and 3 basic blocks (64 to 512 channels), 256 pixels. (`seReduction` is unused there.)
    public static let resNet34 = StyleEncoderConfiguration(
        stem: 64, stages: [.init(depth: 64, units: 3), .init(depth: 128, units: 4), .init(depth: 256, units: 6),
                           .init(depth: 512, units: 3)],
        seReduction: 16, styleDim: 512, inputSize: 256)

    /// The official design at 1/`divisor` of its widths, one unit per stage, for a generator with `styleDim`
    /// codes and images of `inputSize` pixels (tests and the testbed's small models).
    public static func narrow(divisor: Int, styleDim: Int, inputSize: Int) -> StyleEncoderConfiguration {
        let widths = official.stages.map { max($0.depth / divisor, 4) }
        return StyleEncoderConfiguration(
            stem: max(official.stem / divisor, 4), stages: widths.map { .init(depth: $0, units: 1) },
            seReduction: max(min(16, widths[0] / 2), 1), styleDim: styleDim, inputSize: inputSize)
    }

    /// Channels of the last stage (c3), which every style block reads.
    public var finalDepth: Int { stages.last?.depth ?? stem }

    /// Index in `body` of each stage's last unit (official: 2, 6, 20, 23).
    public var stageEnds: [Int] { IRSE50.Configuration.Stage.ends(stages) }

    /// Side of the map style `i` of a `GradualStyleEncoder` reads: c3 (1/16) for the coarse styles, p2 (1/8) for
    /// the medium ones, p1 (1/4) for the fine ones.
    public func styleMapSide(_ i: Int) -> Int {
        inputSize / (i < GradualStyleEncoder.coarseEnd ? 16 : i < GradualStyleEncoder.middleEnd ? 8 : 4)
    }

    /// Throws unless the trunk has four stages, every width fits the squeeze-excitation ratio and the input is a
    /// power of two of at least 32 pixels (the coarse styles' 1/16 map must be at least 2x2).
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw TorchError("encoder configuration: \(message)") }
        }
        try check(stages.count == 4, "the trunk needs 4 stages (the style blocks read the last three), got \(stages.count)")
        try check(stem >= 1 && styleDim >= 1 && seReduction >= 1,
                  "stem \(stem), style dimension \(styleDim) and reduction \(seReduction) must be positive")
        try check(stages.allSatisfy { $0.units >= 1 && $0.depth >= seReduction },
                  "each stage needs at least one unit and a depth of at least \(seReduction)")
        try check(inputSize >= 32 && inputSize.nonzeroBitCount == 1,
                  "the input size must be a power of two of at least 32, got \(inputSize)")
    }

    /// Where our checkpoints record a non-official configuration: a JSON string under this key of `opts`.
    public static let optionKey = "stylegankit_encoder"

    /// The configuration as JSON for `optionKey`.
    public func optionValue() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Decodes and validates `optionValue()`'s JSON.
    public static func decode(option json: String) throws -> StyleEncoderConfiguration {
        let configuration = try JSONDecoder().decode(StyleEncoderConfiguration.self, from: Data(json.utf8))
        try configuration.validate()
        return configuration
    }
}
