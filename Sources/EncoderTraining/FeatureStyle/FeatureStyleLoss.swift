import Perception
import Torch

/// The Feature-Style trainer's `compute_loss_stylegan2` terms, as its `Trainer` computes them. Every term compares a
/// reconstruction with the batch x (synthetic images, then real ones); the total is assembled by the trainer.
///
///     l2        F.mse_loss over the first b images (the synthetic half; all with l2loss_on_real_image)
///     lpips     LPIPS of both images, halved `scale` times (`downscale`); multi-scale: summed over 0, 1 and 2 halvings;
///               each the batch mean
///     id        mean over the batch of the sum over the identity features (four stages and the embedding with
///               multi_layer_idloss) of 1 - cos
///     landmark  the same over BiSeNet's three outputs on 512-pixel ImageNet-normalised views (`stylegan_to_classifier`)
///     l1        F.l1_loss of the images halved `scale` times
struct FeatureStyleLoss {
    let config: FeatureStyleTrainingConfig
    let networks: FeatureStyleLossNetworks
    /// The side BiSeNet reads (the official 512).
    var parsingSize = 512

    /// x halved `times` times with the configuration's `scale_mode` (the trainer's `downscale`).
    func downscale(_ x: Tensor, _ times: Int) throws -> Tensor {
        var out = x
        for _ in 0..<times {
            out = try config.scaleMode == .bilinear
                ? F.interpolate(out, scale: (0.5, 0.5), mode: .bilinear, alignCorners: false)
                : F.interpolate(out, scale: (0.5, 0.5), mode: .nearest)
        }
        return out
    }

    /// The trainer's `LPIPS(input, target, multi_scale)`: a scalar.
    func lpips(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        func distance(_ times: Int) throws -> Tensor {
            try networks.lpipsDistance(downscale(a, times), downscale(b, times)).mean()
        }
        guard config.multiscaleLpips else { return try distance(config.scale) }
        var total: Tensor?
        for k in 0..<3 {
            let term = try distance(k)
            total = try total.map { try $0 + term } ?? term
        }
        return total!
    }

    /// The identity features of the targets b, without autograd; the renders of one step share them.
    func identityTargets(_ b: Tensor) throws -> [Tensor] {
        try withNoGrad { try networks.identityFeatures(b, multiLayer: config.multiLayerIdloss) }
    }

    /// The trainer's `IDloss(input, target).mean()`, the target's features given.
    func identity(_ a: Tensor, targets: [Tensor]) throws -> Tensor {
        try Self.cosineDistance(networks.identityFeatures(a, multiLayer: config.multiLayerIdloss), targets)
    }

    /// BiSeNet's outputs for the targets b, without autograd; the renders of one step share them.
    func landmarkTargets(_ b: Tensor) throws -> [Tensor] {
        try withNoGrad { try networks.parserOutputs(b, size: parsingSize) }
    }

    /// The trainer's `landmarkloss(input, target)`, the target's outputs given.
    func landmark(_ a: Tensor, targets: [Tensor]) throws -> Tensor {
        try Self.cosineDistance(networks.parserOutputs(a, size: parsingSize), targets)
    }

    /// Mean over the batch of Σ_i 1 - cos(a_i, b_i) (`nn.CosineSimilarity(dim=1, eps=1e-6)`), a_i, b_i [N, -1].
    static func cosineDistance(_ a: [Tensor], _ b: [Tensor]) throws -> Tensor {
        var total: Tensor?
        for (x, y) in zip(a, b) {
            let term = try F.cosineSimilarity(x, y, dim: 1, eps: 1e-6) * -1 + 1
            total = try total.map { try $0 + term } ?? term
        }
        return try total!.mean()
    }
}
