import Perception
import Torch

/// A parser being trained or scored: either network behind one interface, each fed as its official code feeds it.
public enum FaceParserModel {
    case bisenet(BiSeNet)
    case unet(UNetFaceParser)

    /// A fresh network with random weights (drawn from the global generator) for `config`, trainable.
    public init(_ config: ParserTrainingConfig, device: Device = .cpu) throws {
        switch config.network {
        case .bisenet: self = .bisenet(try BiSeNet(config: config.bisenet, device: device))
        case .unet: self = .unet(try UNetFaceParser(config: config.unet, device: device))
        }
        try module.requiresGrad(true)
    }

    /// A trained parser read from a weights file (`BiSeNet.load` / `UNetFaceParser.load`: the official files or
    /// the testbed's, widths read from the file), frozen, in eval mode.
    public init(network: ParserTrainingConfig.Network, weights path: String, device: Device = .cpu) throws {
        switch network {
        case .bisenet: self = .bisenet(try BiSeNet.load(from: path, device: device))
        case .unet: self = .unet(try UNetFaceParser.load(from: path, device: device))
        }
    }

    public var module: Module {
        switch self {
        case .bisenet(let net): net
        case .unet(let net): net
        }
    }

    public var classCount: Int {
        switch self {
        case .bisenet(let net): net.classCount
        case .unet(let net): net.classCount
        }
    }

    /// The logits every training head gives, each [N, classes, S, S], the main head first: BiSeNet's `out`,
    /// `out16`, `out32` (on ImageNet-normalised input, as face-parsing.PyTorch's loader), the U-Net's one map
    /// (on [-1, 1] input, as E2Style). images: [N, 3, S, S] in [-1, 1].
    public func headLogits(_ images: Tensor) throws -> [Tensor] {
        switch self {
        case .bisenet(let net):
            let outputs = try net(BiSeNet.lossInput(images, size: images.size(2)))
            return [outputs.out, outputs.out16, outputs.out32]
        case .unet(let net):
            return [try net.logits(images)]
        }
    }

    /// Class labels [N, S, S] (int64) from the main head, in eval mode and without gradients; the training mode
    /// is restored afterwards. images: [N, 3, S, S] in [-1, 1].
    public func labels(_ images: Tensor) throws -> Tensor {
        let wasTraining = module.isTraining
        module.eval()
        defer { module.train(wasTraining) }
        return try withNoGrad { try headLogits(images)[0].argmax(1) }
    }
}
