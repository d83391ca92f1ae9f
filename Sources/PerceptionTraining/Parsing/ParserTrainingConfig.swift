import Perception
import Testbed
import Torch

/// One face parser's training on testbed renders: which network and widths, the render size, batch, Adam's
/// learning rate (decayed by face-parsing.PyTorch's poly rule over the run), augmentation and the periodic
/// evaluation. Codable, so a run's `config.json` records it whole.
public struct ParserTrainingConfig: Codable, Equatable, Sendable {
    /// The two parsers the papers use: face-parsing.PyTorch's BiSeNet (the Feature-Style encoder's landmark
    /// loss) and E2Style's U-Net (E2Style's parsing loss, GANI's L_FP).
    public enum Network: String, Codable, CaseIterable, Sendable {
        case bisenet, unet
    }

    public var network: Network
    /// Widths of the BiSeNet (used when `network` is `.bisenet`).
    public var bisenet: BiSeNet.Config
    /// Widths of the U-Net (used when `network` is `.unet`).
    public var unet: UNetFaceParser.Config
    /// Render size in pixels (one of `TestbedRenderer.sizes`); the network trains and is scored at it.
    public var size: Int
    public var batch: Int
    /// Adam's initial learning rate; it falls as lr · (1 − i / iterations)^0.9, face-parsing.PyTorch's poly rule.
    public var learningRate: Double
    /// Seeds the weights and the augmentation.
    public var seed: UInt64
    public var augmentation: ParserAugmentation
    /// BiSeNet's OHEM: pixels whose probability of the true class is below this count as hard (0.7 in
    /// face-parsing.PyTorch); at least batch · size² / 16 pixels are kept.
    public var ohemThreshold: Double
    /// Class weights of the cross-entropy: each class weighs (1 / its share of the batch's pixels)^power,
    /// normalised to a pixel-weighted mean of 1. 0 (the official losses) weighs all pixels alike; 0.5 lifts small
    /// parts (eyes, brows, lips), which plain cross-entropy learns last.
    public var classWeightPower: Double
    /// Test-split renders scored for the periodic mIoU.
    public var evaluationImages: Int

    public init(network: Network, bisenet: BiSeNet.Config = .testbed, unet: UNetFaceParser.Config = .testbed,
                size: Int = 128, batch: Int = 16, learningRate: Double = 2e-3, seed: UInt64 = 0,
                augmentation: ParserAugmentation = .standard, ohemThreshold: Double = 0.7, classWeightPower: Double = 0,
                evaluationImages: Int = 256)
    {
        self.network = network
        self.bisenet = bisenet
        self.unet = unet
        self.size = size
        self.batch = batch
        self.learningRate = learningRate
        self.seed = seed
        self.augmentation = augmentation
        self.ohemThreshold = ohemThreshold
        self.classWeightPower = classWeightPower
        self.evaluationImages = evaluationImages
    }

    /// The settings the shipped testbed parsers were last trained with (each from its weights at half the size):
    /// batch 8, Adam 1e-3, class weights of power 0.5 (with plain cross-entropy the U-Net's small parts stayed at IoU 0
    /// after 1,300 iterations), at the size each is fed: 256-pixel renders for the U-Net (E2Style's and GANI's size),
    /// 512 for BiSeNet (face-parsing.PyTorch's and the Feature-Style encoder's; its heads predict at 1/8, so at 256 px an
    /// eye spans two or three of its cells). At 128 px an eye or a lip is a few dozen pixels and its IoU hangs on its
    /// outline.
    public static func testbed(_ network: Network) -> ParserTrainingConfig {
        ParserTrainingConfig(network: network, size: network == .bisenet ? 512 : 256, batch: 8, learningRate: 1e-3,
                             classWeightPower: 0.5)
    }

    /// Iterations of the shipped parsers' last runs: BiSeNet at 512 px, the U-Net at 256 px (Models/testbed/MODEL_CARD.md
    /// has the earlier ones).
    public static func testbedIterations(_ network: Network) -> Int {
        switch network {
        case .bisenet: 3000
        case .unet: 10000
        }
    }

    /// Throws for a size the renderer does not make (or the U-Net cannot take), a batch or evaluation count below
    /// 1, a learning rate or threshold out of range, or bad widths.
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws {
            if !condition { throw TorchError("parser training: \(message)") }
        }
        try require(TestbedRenderer.sizes.contains(size),
                    "size must be one of \(TestbedRenderer.sizes.map(String.init).joined(separator: ", ")), got \(size)")
        try require(batch >= 1, "batch must be at least 1, got \(batch)")
        try require(learningRate > 0, "learning rate must be positive, got \(learningRate)")
        try require(ohemThreshold > 0 && ohemThreshold < 1, "OHEM threshold must be in (0, 1), got \(ohemThreshold)")
        try require(classWeightPower >= 0 && classWeightPower <= 1,
                    "class weight power must be in [0, 1], got \(classWeightPower)")
        try require(evaluationImages >= 1, "evaluation images must be at least 1, got \(evaluationImages)")
        try augmentation.validate()
        switch network {
        case .bisenet: try bisenet.validate()
        case .unet: try unet.validate()
        }
    }
}
