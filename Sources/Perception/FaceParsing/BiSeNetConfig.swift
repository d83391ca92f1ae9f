import Torch

extension BiSeNet {
    /// The widths of a BiSeNet. `official` is face-parsing.PyTorch's (`79999_iter.pth`); `testbed` halves every
    /// width so the parser trained on the testbed stays small (about 3.3 million parameters) and quick on a CPU.
    /// The module names, and so the state-dict keys, are the same for every width.
    public struct Config: Codable, Equatable, Sendable {
        /// Channels of the ResNet-18 stem (`cp.resnet.conv1`) and of `layer1`..`layer4`.
        public var stem: Int
        public var stages: [Int]
        /// Channels of the refined context (`cp.arm16`, `cp.arm32`, the heads' inputs `conv_out16/32`).
        public var context: Int
        /// Channels of the feature fusion and of the main head's hidden layer (`ffm`, `conv_out`).
        public var fusion: Int
        /// Hidden channels of the two auxiliary heads (`conv_out16`, `conv_out32`).
        public var auxiliaryHead: Int

        public init(stem: Int, stages: [Int], context: Int, fusion: Int, auxiliaryHead: Int) {
            self.stem = stem
            self.stages = stages
            self.context = context
            self.fusion = fusion
            self.auxiliaryHead = auxiliaryHead
        }

        public static let official = Config(stem: 64, stages: [64, 128, 256, 512], context: 128, fusion: 256,
                                            auxiliaryHead: 64)
        public static let testbed = Config(stem: 32, stages: [32, 64, 128, 256], context: 64, fusion: 128,
                                           auxiliaryHead: 32)

        /// Throws unless there are four positive stage widths and every other width is positive (`fusion` a
        /// multiple of 4, for the fusion's channel gate).
        public func validate() throws {
            guard stages.count == 4, (stages + [stem, context, fusion, auxiliaryHead]).allSatisfy({ $0 > 0 }),
                  fusion % 4 == 0
            else {
                throw TorchError("BiSeNet.Config: expected a positive stem, four positive stage widths and positive "
                    + "context, fusion (a multiple of 4) and auxiliary-head widths, got \(self)")
            }
        }

        /// The widths of a state dict in this layout (output channels of the stem, each stage's first conv, the
        /// attention refinement, the fusion and an auxiliary head), or nil when a key is missing or the widths
        /// are not valid.
        init?(weights: [String: Tensor]) {
            func width(_ key: String) -> Int? { weights[key].flatMap { $0.shape.first } }
            guard let stem = width("cp.resnet.conv1.weight"), let context = width("cp.arm16.conv.conv.weight"),
                  let fusion = width("ffm.convblk.conv.weight"), let auxiliary = width("conv_out16.conv.conv.weight")
            else { return nil }
            let stages = (1...4).compactMap { width("cp.resnet.layer\($0).0.conv1.weight") }
            self.init(stem: stem, stages: stages, context: context, fusion: fusion, auxiliaryHead: auxiliary)
            guard (try? validate()) != nil else { return nil }
        }
    }
}
