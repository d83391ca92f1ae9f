import Torch

extension FeatureStyleEncoder {
    /// The widths and geometry of an `fs_encoder_v2`: its iResNet trunk (`conv`, `block_1`...`block_4`), the feature
    /// branch (`content_layer`) and the style linears.
    ///
    /// `official` is the published encoder: iResNet-50 (64 to 512 channels, 3/4/14/3 blocks) on 256-pixel images,
    /// `fs_stride` 2, so the feature is 512x16x16 and replaces layer 5 (`idx_k`) of a 1024 generator. Narrower ones
    /// keep every key and change only shapes and counts, for the testbed's small generators.
    public struct Configuration: Codable, Equatable, Hashable, Sendable {
        /// Channels of `conv`.
        public var stem: Int
        /// Channels of the four stages; each stage's first block halves the resolution.
        public var stages: [Int]
        /// Blocks per stage.
        public var blocks: [Int]
        /// Channels of the feature: those of the generator layer it replaces.
        public var featureChannels: Int
        /// Length of each style code: the generator's style dimension.
        public var styleDim: Int
        /// Side of the square images the trunk reads (the trainer's `enc_resolution`).
        public var inputSize: Int
        /// Stride of `content_layer`'s last convolution (`fs_stride`): the feature is inputSize / 8 / stride wide.
        public var featureStride: Int

        public init(stem: Int, stages: [Int], blocks: [Int], featureChannels: Int, styleDim: Int, inputSize: Int,
                    featureStride: Int)
        {
            self.stem = stem
            self.stages = stages
            self.blocks = blocks
            self.featureChannels = featureChannels
            self.styleDim = styleDim
            self.inputSize = inputSize
            self.featureStride = featureStride
        }

        public static let official = Configuration(stem: 64, stages: [64, 128, 256, 512], blocks: [3, 4, 14, 3],
                                                   featureChannels: 512, styleDim: 512, inputSize: 256, featureStride: 2)

        /// The official trunk at 1/`divisor` of its widths, one block per stage, for a generator whose style codes
        /// have `styleDim` entries and whose replaced layer has `featureChannels`.
        public static func narrow(divisor: Int, styleDim: Int, featureChannels: Int, inputSize: Int = 256,
                                  featureStride: Int = 2) -> Configuration
        {
            Configuration(stem: max(official.stem / divisor, 4), stages: official.stages.map { max($0 / divisor, 4) },
                          blocks: [1, 1, 1, 1], featureChannels: featureChannels, styleDim: styleDim,
                          inputSize: inputSize, featureStride: featureStride)
        }

        /// The four stages' outputs, average-pooled to 3x3 and concatenated: what each style linear reads x 9.
        public var pooledChannels: Int { stages.reduce(0, +) }

        /// Side of the feature: the input after `block_3` (1/8) and `content_layer`'s stride.
        public var featureSize: Int { inputSize / 8 / featureStride }

        /// Throws unless there are four positive stages, the strides divide the input, and the sizes are positive.
        public func validate() throws {
            func check(_ ok: Bool, _ message: String) throws {
                if !ok { throw TorchError("Feature-Style encoder configuration: \(message)") }
            }
            try check(stages.count == 4 && blocks.count == 4, "the trunk needs 4 stages, got \(stages.count) widths and "
                + "\(blocks.count) block counts")
            try check(stem >= 1 && stages.allSatisfy { $0 >= 1 } && blocks.allSatisfy { $0 >= 1 },
                      "widths and block counts must be positive")
            try check(featureChannels >= 1 && styleDim >= 1, "feature channels and style dimension must be positive")
            try check(featureStride >= 1 && inputSize >= 16 && inputSize % (16 * featureStride) == 0,
                      "the input size \(inputSize) must be a multiple of 16 x the stride \(featureStride)")
        }

        /// Reads the widths off a state dict's shapes (keys relative to the encoder); the input size and stride are
        /// not in the file: the feature must be `featureSize` wide, and the stride is the official 2.
        public init(inferringFrom shapes: [String: [Int]], featureSize: Int) throws {
            func shape(_ key: String) throws -> [Int] {
                guard let s = shapes[key] else { throw TorchError("Feature-Style encoder: no \(key)") }
                return s
            }
            let stem = try shape("conv.0.weight")[0]
            var stages: [Int] = []
            var blocks: [Int] = []
            for stage in 1...4 {
                stages.append(try shape("block_\(stage).0.conv1.weight")[0])
                var count = 0
                while shapes["block_\(stage).\(count).conv1.weight"] != nil { count += 1 }
                blocks.append(count)
            }
            let stride = Self.official.featureStride
            self.init(stem: stem, stages: stages, blocks: blocks, featureChannels: try shape("content_layer.1.weight")[0],
                      styleDim: try shape("styles.0.weight")[0], inputSize: featureSize * 8 * stride,
                      featureStride: stride)
            try validate()
        }
    }
}
