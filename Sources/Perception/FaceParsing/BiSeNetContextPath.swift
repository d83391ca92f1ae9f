import Torch

extension BiSeNet {
    /// The context path (`cp`): ResNet-18 features refined top-down. The 1/32 features plus their global context
    /// go up to 1/16, join the refined 1/16 features, and go up to 1/8 (nearest-neighbour, as the reference).
    public final class ContextPath: Module {
        public let resnet: ResNet18Trunk
        public let arm16: AttentionRefinement
        public let arm32: AttentionRefinement
        public let conv_head32: ConvBNReLU
        public let conv_head16: ConvBNReLU
        /// 1x1 ConvBNReLU on the globally pooled 1/32 features.
        public let conv_avg: ConvBNReLU

        /// The ResNet's widths and the refined context's (`config.context`, 128 in the published model).
        public init(_ config: Config = .official) throws {
            let width = config.context
            resnet = try ResNet18Trunk(stem: config.stem, stages: config.stages)
            arm16 = try AttentionRefinement(config.stages[2], width)
            arm32 = try AttentionRefinement(config.stages[3], width)
            conv_head32 = try ConvBNReLU(width, width)
            conv_head16 = try ConvBNReLU(width, width)
            conv_avg = try ConvBNReLU(config.stages[3], width, kernelSize: 1, padding: 0)
            super.init()
            try register(module: "resnet", resnet)
            try register(module: "arm16", arm16)
            try register(module: "arm32", arm32)
            try register(module: "conv_head32", conv_head32)
            try register(module: "conv_head16", conv_head16)
            try register(module: "conv_avg", conv_avg)
        }

        /// [N, 3, H, W] -> (the ResNet's 1/8 features [N, stages[1], H/8, W/8], refined context at 1/8
        /// [N, width, H/8, W/8] and at 1/16 [N, width, H/16, W/16]); sizes round up at each stride.
        public func callAsFunction(_ x: Tensor) throws -> (res8: Tensor, cp8: Tensor, cp16: Tensor) {
            let features = try resnet.stageFeatures(x)
            let (feat8, feat16, feat32) = (features[1], features[2], features[3])
            func resized(_ t: Tensor, like reference: Tensor) throws -> Tensor {
                try F.interpolate(t, size: (reference.size(2), reference.size(3)), mode: .nearest)
            }
            let context = try resized(conv_avg(F.adaptiveAvgPool2d(feat32, (1, 1))), like: feat32)
            let up32 = try conv_head32(resized(arm32(feat32) + context, like: feat16))
            let up16 = try conv_head16(resized(arm16(feat16) + up32, like: feat8))
            return (feat8, up16, up32)
        }
    }
}
