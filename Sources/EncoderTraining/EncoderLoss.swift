import Foundation
import Perception
import Torch

/// The loss terms of the encoder trainers, in the order pSp's `calc_loss` adds them.
public enum EncoderLossTerm: String, Codable, CaseIterable, Sendable {
    case id, parse, l2, lpips, lpipsCrop, l2Crop, wNorm, moco

    /// The command-line flag of the term's weight.
    public var flag: String {
        switch self {
        case .id: "id_lambda"
        case .parse: "parse_lambda"
        case .l2: "l2_lambda"
        case .lpips: "lpips_lambda"
        case .lpipsCrop: "lpips_lambda_crop"
        case .l2Crop: "l2_lambda_crop"
        case .wNorm: "w_norm_lambda"
        case .moco: "moco_lambda"
        }
    }

    /// Its name in pSp's `loss_dict` (and so in our logs and TensorBoard).
    public var logName: String {
        switch self {
        case .id: "loss_id"
        case .parse: "loss_parse"
        case .l2: "loss_l2"
        case .lpips: "loss_lpips"
        case .lpipsCrop: "loss_lpips_crop"
        case .l2Crop: "loss_l2_crop"
        case .wNorm: "loss_w_norm"
        case .moco: "loss_moco"
        }
    }
}

/// pSp's `calc_loss(x, y, y_hat, latent)`: the weighted sum of the terms with a positive weight, and pSp's
/// `loss_dict` entries (each term, and `id_improve` with pSp's identity term; the trainer adds `loss`).
///
///     id        mean over the batch of 1 - <f(y_hat), f(y)>, f the ID network's unit embedding of the face crop;
///               E2Style's multi-layer form: the sum over the four stage outputs and the embedding of the mean
///               over the batch of 1 - cos (`CosineEmbeddingLoss` with target 1), no `id_improve`
///     parse     E2Style: the same sum over the U-Net parser's five features of the whole images
///     l2        F.mse_loss(y_hat, y)
///     lpips     LPIPS(y_hat, y), averaged over the batch
///     *_crop    the same on the face crop (rows 35..<223, columns 32..<220 of 256, scaled to the image)
///     w_norm    sum over the batch of ||latent - latent_avg||_2 (over rows and channels) / N
///     moco      as id, with MoCo v2 features
public struct EncoderLoss {
    public let weights: [EncoderLossTerm: Double]
    public let networks: EncoderLossNetworks
    /// E2Style's multi-layer identity term instead of pSp's.
    public let multiLayerIdentity: Bool

    public init(weights: [EncoderLossTerm: Double], networks: EncoderLossNetworks, multiLayerIdentity: Bool = false) {
        self.weights = weights
        self.networks = networks
        self.multiLayerIdentity = multiLayerIdentity
    }

    /// The total and the logged values, in `calc_loss`'s order.
    ///
    /// - Parameters:
    ///   - x: the encoder's input [N, C, S, S] (for `id_improve`, which needs images)
    ///   - y: the target [N, 3, S, S]
    ///   - yHat: the reconstruction [N, 3, S, S]
    ///   - latent: the codes the generator read [N, L, D]
    ///   - latentAvg: the average w [L, D] or [D] that `w_norm` measures from; nil measures from 0
    public func callAsFunction(x: Tensor, y: Tensor, yHat: Tensor, latent: Tensor, latentAvg: Tensor?) throws
        -> (total: Tensor, logged: [(String, Double)])
    {
        guard y.shape == yHat.shape, y.rank == 4, y.size(2) == y.size(3), x.rank == 4, x.size(0) == y.size(0) else {
            throw EncoderTrainingError("the loss needs y and y_hat of one square shape [N, 3, S, S] and x [N, C, S, S]; got "
                + "\(x.shape), \(y.shape) and \(yHat.shape)")
        }
        var total: Tensor?
        var logged: [(String, Double)] = []
        func add(_ term: EncoderLossTerm, _ value: Tensor) throws {
            logged.append((term.logName, try value.item()))
            let weighted = try value * weights[term, default: 0]
            total = try total.map { try $0 + weighted } ?? weighted
        }
        func weight(_ term: EncoderLossTerm) -> Double { weights[term, default: 0] }

        if weight(.id) > 0, multiLayerIdentity {
            try add(.id, Self.featureCosine(yHat, y, features: networks.identityLayers))
        } else if weight(.id) > 0 {
            let (loss, improvement) = try Self.identity(x: x, y: y, yHat: yHat, embed: networks.identityEmbedding)
            try add(.id, loss)
            logged.append(("id_improve", improvement))
        }
        if weight(.parse) > 0 {
            try add(.parse, Self.featureCosine(yHat, y, features: networks.parserFeatures))
        }
        if weight(.l2) > 0 { try add(.l2, F.mseLoss(yHat, y)) }
        if weight(.lpips) > 0 { try add(.lpips, networks.lpipsDistance(yHat, y).mean()) }
        if weight(.lpipsCrop) > 0 { try add(.lpipsCrop, networks.lpipsDistance(Self.crop(yHat), Self.crop(y)).mean()) }
        if weight(.l2Crop) > 0 { try add(.l2Crop, F.mseLoss(Self.crop(yHat), Self.crop(y))) }
        if weight(.wNorm) > 0 { try add(.wNorm, Self.wNorm(latent, latentAvg: latentAvg)) }
        if weight(.moco) > 0 {
            let (loss, improvement) = try Self.identity(x: x, y: y, yHat: yHat, embed: networks.mocoEmbedding)
            try add(.moco, loss)
            logged.append(("id_improve", improvement))
        }
        return (try total ?? Tensor.zeros([], device: yHat.device), logged)
    }

    /// pSp's `IDLoss.forward` with any embedding: the mean of 1 - <e(y_hat), e(y)> with the target's embedding
    /// detached, and `id_improve`, the mean of <e(y_hat), e(y)> - <e(y), e(x)>.
    static func identity(x: Tensor, y: Tensor, yHat: Tensor, embed: (Tensor) throws -> Tensor) throws -> (Tensor, Double) {
        try identity(yHat: yHat, targets: targetEmbeddings(x: x, y: y, embed: embed), embed: embed)
    }

    /// e(y) and e(x) without autograd, computed once when x is y (inversion: the target is the input).
    static func targetEmbeddings(x: Tensor, y: Tensor, embed: (Tensor) throws -> Tensor) throws -> (y: Tensor, x: Tensor) {
        try withNoGrad {
            let target = try embed(y)
            return (target, x === y ? target : try embed(x))
        }
    }

    /// The identity term of `yHat` against targets' embeddings already computed (several reconstructions of one
    /// batch share them).
    static func identity(yHat: Tensor, targets: (y: Tensor, x: Tensor), embed: (Tensor) throws -> Tensor) throws
        -> (Tensor, Double)
    {
        let yHatFeatures = try embed(yHat)
        let target = try (yHatFeatures * targets.y).sum([1])  // [N]
        let views = try (targets.y * targets.x).sum([1])
        let loss = try (target * -1 + 1).mean()
        let improvement = try (target.detach() - views).mean().item()
        return (loss, improvement)
    }

    /// E2Style's feature losses: Σ over the features of mean over the batch of 1 - cos(f(y), f(y_hat)), the target's
    /// features detached.
    static func featureCosine(_ yHat: Tensor, _ y: Tensor, features: (Tensor) throws -> [Tensor]) throws -> Tensor {
        let targets = try withNoGrad { try features(y) }
        var total = try Tensor.zeros([], device: yHat.device)
        for (a, b) in zip(try features(yHat), targets) {
            total = try total + (F.cosineSimilarity(a, b, dim: 1, eps: 1e-8) * -1 + 1).mean()
        }
        return total
    }

    /// pSp's face crop `[:, :, 35:223, 32:220]` of 256-pixel images, scaled to the images' side.
    public static func crop(_ images: Tensor) throws -> Tensor {
        let box = IRSE50.faceBox(side: images.size(2))
        return try images.slice(2, box.rows.lowerBound, box.rows.upperBound)
            .slice(3, box.columns.lowerBound, box.columns.upperBound)
    }

    /// pSp's `WNormLoss`: sum over the batch of the 2-norm of each sample's codes (less `latentAvg` when given),
    /// divided by the batch size. latent [N, L, D] -> scalar.
    public static func wNorm(_ latent: Tensor, latentAvg: Tensor?) throws -> Tensor {
        let centred = try latentAvg.map { try latent - $0 } ?? latent
        return try centred.pow(2).sum([1, 2]).sqrt().sum() / Double(latent.size(0))
    }
}
