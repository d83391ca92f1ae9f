import Torch

/// The face-parsing BiSeNet of zllrunning's face-parsing.PyTorch (19 CelebAMask-HQ classes, ResNet-18 context
/// path, the spatial path replaced by the ResNet's 1/8 features), in the reference layout (`cp`, `ffm`,
/// `conv_out`, `conv_out16`, `conv_out32`), so `79999_iter.pth` loads unchanged.
///
/// The Feature-Style encoder's parsing ("landmark") loss compares all three outputs, flattened, by cosine
/// similarity; they are its multi-layer parsing features. Built in eval mode and frozen: as a loss it passes
/// gradients to the images it scores, never to itself.
public final class BiSeNet: Module {
    /// Trainable elements in `79999_iter.pth` (running statistics not counted).
    public static let officialParameterCount = 13_300_416

    public let classCount: Int
    public let config: Config
    public let cp: ContextPath
    public let ffm: FeatureFusion
    /// Head on the fused 1/8 features.
    public let conv_out: OutputHead
    /// Auxiliary head on the context path's 1/8 features.
    public let conv_out16: OutputHead
    /// Auxiliary head on the context path's 1/16 features.
    public let conv_out32: OutputHead

    /// Random weights until `load`ed; placed on `device`; the official widths unless `config` says otherwise.
    public init(config: Config = .official, classCount: Int = 19, device: Device = .cpu) throws {
        try config.validate()
        self.classCount = classCount
        self.config = config
        cp = try ContextPath(config)
        ffm = try FeatureFusion(config.stages[1] + config.context, config.fusion)
        conv_out = try OutputHead(config.fusion, config.fusion, classCount: classCount)
        conv_out16 = try OutputHead(config.context, config.auxiliaryHead, classCount: classCount)
        conv_out32 = try OutputHead(config.context, config.auxiliaryHead, classCount: classCount)
        super.init()
        try register(module: "cp", cp)
        try register(module: "ffm", ffm)
        try register(module: "conv_out", conv_out)
        try register(module: "conv_out16", conv_out16)
        try register(module: "conv_out32", conv_out32)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Reads `79999_iter.pth` (or the same keys in safetensors, or under `module.`), or weights of other widths
    /// (the testbed's): the file's own widths unless `config` imposes some.
    public static func load(from path: String, config: Config? = nil, classCount: Int = 19,
                            device: Device = .cpu) throws -> BiSeNet
    {
        try FaceNetworkWeights.load(from: path, name: "BiSeNet") { weights in
            try BiSeNet(config: config ?? Config(weights: weights) ?? .official, classCount: classCount, device: device)
        }
    }

    /// Class logits at the input's size from the three heads. x: [N, 3, H, W], ImageNet-normalised RGB (see
    /// `lossInput`).
    public func callAsFunction(_ x: Tensor) throws -> Outputs {
        try expectInput(x, ["N", 3, "H", "W"])
        let size = (x.size(2), x.size(3))
        let (res8, cp8, cp16) = try cp(x)
        // Bilinear with align_corners, as the reference upsamples every head.
        func upsampled(_ logits: Tensor) throws -> Tensor {
            try F.interpolate(logits, size: size, mode: .bilinear, alignCorners: true)
        }
        return Outputs(out: try upsampled(conv_out(ffm(res8, cp8))), out16: try upsampled(conv_out16(cp8)),
                       out32: try upsampled(conv_out32(cp16)))
    }
}

extension BiSeNet {
    /// The reference forward's three results, each [N, classes, H, W] at the input's size.
    public struct Outputs {
        /// The parsing itself (argmax over classes gives the labels).
        public let out: Tensor
        /// The auxiliary head on the context path's 1/8 features.
        public let out16: Tensor
        /// The auxiliary head on the context path's 1/16 features.
        public let out32: Tensor

        /// The three in the reference's order, each flattened to [N, -1], as the Feature-Style loss takes them.
        public func flattened() throws -> [Tensor] {
            try [out, out16, out32].map { try $0.flatten(from: 1) }
        }
    }
}
