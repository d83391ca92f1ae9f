import Torch

/// The similarity loss pSp, e4e and ReStyle train with on non-face domains (their `MocoLoss`): one minus the cosine
/// similarity of MoCo v2 ResNet-50 features of the output and the target,
///
///     loss = mean over i of (1 - <e(ŷ_i), e(y_i)>),   e(x) = normalize(encoder(resize_224(x)))
///
/// The images go in as the methods hold them, [N, 3, H, W] in [-1, 1], without the ImageNet normalisation MoCo
/// was trained with, and are resized to 224x224 by nearest neighbour (`F.interpolate(x, size=224)`, whose default
/// mode is nearest), exactly as the reference does, so loss values match it. The target's features are detached.
///
/// The network is frozen and stays in evaluation mode; gradients flow to ŷ. float32 and bfloat16 run as they are
/// (move it with `to(dtype:)`; inputs must match). Cost: `MoCoResNet50`'s 8.17 GFLOP per image at 224x224.
public final class MoCoLoss: Module {
    /// The side images are resized to before the encoder.
    public static let inputSize = 224

    /// The query encoder (keys `encoder.*` here; `module.encoder_q.*` in MoCo's checkpoint).
    public let encoder: MoCoResNet50

    /// A loss network with freshly initialised weights; load trained ones with `encoder.load(checkpoint:)`.
    public init(dtype: DType = .float32, device: Device = .cpu) throws {
        encoder = try MoCoResNet50(dtype: dtype, device: device)
        super.init()
        try register(module: "encoder", encoder)
        try freeze()
        eval()
    }

    /// The loss with the encoder of a MoCo checkpoint (`moco_v2_800ep_pretrain.pt`, see `MoCoResNet50.load`).
    public convenience init(checkpoint path: String, dtype: DType = .float32, device: Device = .cpu) throws {
        try self.init(dtype: dtype, device: device)
        try encoder.load(checkpoint: path)
    }

    /// A fixed loss network stays in evaluation mode (batch norm on its running statistics) whatever a parent
    /// module is switched to.
    @discardableResult
    override public func train(_ mode: Bool = true) -> Self {
        super.train(false)
        return self
    }

    /// images [N, 3, H, W] in [-1, 1] -> [N, 2048] features of unit length (the reference's `extract_feats`).
    public func embedding(_ images: Tensor) throws -> Tensor {
        try expectInput(images, ["N", 3, "H", "W"], name: "images")
        guard images.dtype == encoder.dtype else {
            throw TorchError("MoCoLoss: images are \(images.dtype) but the network is \(encoder.dtype); "
                + "convert one of them with to(dtype:)")
        }
        let size = MoCoLoss.inputSize
        let resized = try F.interpolate(images, size: (size, size), mode: .nearest)
        return try F.normalize(encoder(resized), dim: 1)
    }

    /// <e(ŷ_i), e(y_i)> for each pair, [N]; ŷ and y may differ in size but not in batch. No gradient reaches y.
    public func similarity(_ yHat: Tensor, _ y: Tensor) throws -> Tensor {
        guard yHat.rank == 4, y.rank == 4, yHat.size(0) == y.size(0) else {
            throw TorchError("MoCoLoss: ŷ \(yHat.shape) and y \(y.shape) must be image batches of the same size")
        }
        let target = try withNoGrad { try embedding(y) }
        return try (embedding(yHat) * target).sum([1])
    }

    /// The loss, a scalar: the mean over the batch of 1 - similarity.
    public func callAsFunction(_ yHat: Tensor, _ y: Tensor) throws -> Tensor {
        try (1 - similarity(yHat, y)).mean()
    }
}
