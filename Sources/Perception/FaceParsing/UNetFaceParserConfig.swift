import Torch

extension UNetFaceParser {
    /// The widths of the U-Net's five stages (conv1..conv4, center); the decoder mirrors them. `official` is
    /// E2Style's `unet(feature_scale=4)` (64, 128, 256, 512, 1024 divided by 4); `testbed` halves them again
    /// (feature scale 8), about 0.49 million parameters. The state-dict keys are the same for every width.
    public struct Config: Codable, Equatable, Sendable {
        public var widths: [Int]

        public init(widths: [Int]) { self.widths = widths }

        /// pytorch-semseg's widths for a feature scale: 64, 128, 256, 512, 1024 divided by it.
        public init(featureScale: Int) { widths = [64, 128, 256, 512, 1024].map { $0 / max(featureScale, 1) } }

        public static let official = Config(featureScale: 4)
        public static let testbed = Config(featureScale: 8)

        /// Throws unless there are five positive widths, each twice the one before (the decoder's blocks, as
        /// pytorch-semseg's `unetUp`, take the skip and the upsampled map as one input of the coarser width).
        public func validate() throws {
            guard widths.count == 5, widths[0] > 0, zip(widths, widths.dropFirst()).allSatisfy({ $1 == 2 * $0 }) else {
                throw TorchError("UNetFaceParser.Config: expected five positive stage widths, each twice the one "
                    + "before, got \(widths)")
            }
        }

        /// The widths of a state dict in this layout (output channels of conv1..conv4 and the centre), or nil when
        /// a key is missing or the widths are not valid.
        init?(weights: [String: Tensor]) {
            let widths = ["conv1", "conv2", "conv3", "conv4", "center"]
                .compactMap { weights[$0 + ".conv1.0.weight"].flatMap { $0.shape.first } }
            self.init(widths: widths)
            guard (try? validate()) != nil else { return nil }
        }
    }
}
