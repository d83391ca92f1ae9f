import Foundation
import Torch

extension IRSE50 {
    /// Widths, depths and sizes of an IR-SE network in TreB1eN's layout. `official` is `Backbone(112, 50, "ir_se")`,
    /// the network of `model_ir_se50.pth`; the others are the same design, narrower and shallower, for the testbed.
    /// Keys stay `input_layer.*`, `body.N.*` and `output_layer.*`; only their count and shapes change.
    public struct Configuration: Codable, Equatable, Hashable, Sendable {
        /// One stage: its first unit halves the resolution and widens to `depth`, the others keep both.
        public struct Stage: Codable, Equatable, Hashable, Sendable {
            public var depth: Int
            public var units: Int

            public init(depth: Int, units: Int) {
                self.depth = depth
                self.units = units
            }

            /// Index of each stage's last unit in a body of these stages, in order.
            public static func ends(_ stages: [Stage]) -> [Int] {
                var ends: [Int] = []
                var count = 0
                for stage in stages {
                    count += stage.units
                    ends.append(count - 1)
                }
                return ends
            }
        }

        /// Channels of `input_layer` (the first stage's input).
        public var stem: Int
        public var stages: [Stage]
        /// Side of the square face crop the network takes.
        public var inputSize: Int
        /// Length of the identity embedding.
        public var embeddingSize: Int
        /// Dropout before `output_layer`'s linear layer while training (TreB1eN's `drop_ratio`).
        public var dropRatio: Double
        /// Squeeze-excitation bottleneck ratio.
        public var seReduction: Int

        public init(stem: Int, stages: [Stage], inputSize: Int, embeddingSize: Int, dropRatio: Double, seReduction: Int) {
            self.stem = stem
            self.stages = stages
            self.inputSize = inputSize
            self.embeddingSize = embeddingSize
            self.dropRatio = dropRatio
            self.seReduction = seReduction
        }

        /// IR-SE50 as pSp, e4e, ReStyle and E2Style load it: 112-pixel input, stages of 3, 4, 14 and 3 units.
        public static let official = Configuration(
            stem: 64, stages: [.init(depth: 64, units: 3), .init(depth: 128, units: 4), .init(depth: 256, units: 14),
                               .init(depth: 512, units: 3)],
            inputSize: 112, embeddingSize: 512, dropRatio: 0.6, seReduction: 16)

        /// The testbed's identity network: a quarter of IR-SE50's widths, 6 units, on pSp's face crop of 64-pixel
        /// renders pooled to 32 pixels (see docs/testbed.md).
        public static let testbed = Configuration(
            stem: 16, stages: [.init(depth: 16, units: 1), .init(depth: 32, units: 2), .init(depth: 64, units: 2),
                               .init(depth: 128, units: 1)],
            inputSize: 48, embeddingSize: 128, dropRatio: 0, seReduction: 8)

        /// A minimal network for tests.
        public static let tiny = Configuration(
            stem: 8, stages: [.init(depth: 8, units: 1), .init(depth: 16, units: 1)],
            inputSize: 16, embeddingSize: 8, dropRatio: 0, seReduction: 4)

        /// Side of the last stage's output: each stage halves the input, rounding up.
        public var featureSize: Int {
            stages.reduce(inputSize) { size, _ in (size + 1) / 2 }
        }

        /// Channels of the last stage.
        public var finalDepth: Int { stages.last?.depth ?? stem }

        /// Index of each stage's last unit in `body` (official: 2, 6, 20, 23).
        public var stageEnds: [Int] { Stage.ends(stages) }

        /// Throws for empty stages, widths below the squeeze-excitation ratio or sizes below 1.
        public func validate() throws {
            func check(_ ok: Bool, _ message: String) throws {
                if !ok { throw TorchError("IR-SE configuration: \(message)") }
            }
            try check(!stages.isEmpty, "no stages")
            try check(stem >= 1 && inputSize >= 1 && embeddingSize >= 1 && seReduction >= 1,
                      "stem \(stem), input \(inputSize), embedding \(embeddingSize) and reduction \(seReduction) must be positive")
            try check(stages.allSatisfy { $0.units >= 1 && $0.depth >= seReduction },
                      "each stage needs at least one unit and a depth of at least \(seReduction)")
            try check((0..<1).contains(dropRatio), "drop ratio \(dropRatio) is outside [0, 1)")
        }

        /// Where a safetensors file records the configuration of the network it holds (JSON).
        public static let metadataKey = "irse_configuration"

        /// The configuration as JSON for `metadataKey`.
        public func metadataValue() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        /// The configuration recorded in a safetensors file's metadata, or nil when it records none.
        public static func recorded(in metadata: [String: String]) throws -> Configuration? {
            guard let json = metadata[metadataKey] else { return nil }
            let configuration = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
            try configuration.validate()
            return configuration
        }
    }
}
