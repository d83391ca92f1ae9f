import Foundation
import Torch

/// CLCAE's contrastive image encoder (`ImageEncoder`): the IR-SE50 w head on x - x_avg, a projection head and L2
/// normalisation (`use_norm`), plus the learnable temperature. Keys as in `best_model_image.pt`'s `state_dict`.
/// Built in eval mode and frozen: CLCAE trains it first, then only uses it as a loss.
public final class CLCAEImageEncoder: Module {
    /// Trainable elements, `logit_scale` included.
    public static let officialParameterCount = 41_374_913

    /// log of the inverse temperature (initialised to log(1 / 0.07)); a 0-d tensor.
    public let logit_scale: Tensor
    public let encoder: CLCAE.GradualStyleEncoder
    public let image_projection: CLCAE.Projection

    /// Random weights until loaded, of the trunk of `design`; placed on `device`.
    public init(design: CLCAE.Design = .released, device: Device = .cpu) throws {
        logit_scale = try Tensor.full([], Foundation.log(1 / 0.07))
        encoder = try CLCAE.GradualStyleEncoder(forImage: true, design: design)
        image_projection = try CLCAE.Projection(design.width)
        super.init()
        try register(parameter: "logit_scale", logit_scale)
        try register(module: "encoder", encoder)
        try register(module: "image_projection", image_projection)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Unit embeddings [N, D] of images x [N, 3, S, S] relative to the average image [1 or N, 3, S, S].
    public func callAsFunction(_ x: Tensor, average: Tensor) throws -> Tensor {
        try F.normalize(image_projection(encoder.code(x - average)), dim: -1)
    }

    /// exp(logit_scale), the scale of the contrastive logits.
    public func logitScale() throws -> Tensor { try logit_scale.exp() }
}

/// CLCAE's contrastive latent encoder (`LatentEncoder`): three post-norm transformer encoder layers (`coarse`,
/// `medium`, `fine`; d 512, 4 heads, FFN 1024, a learned positional embedding on queries and keys) over
/// w - w_avg, a projection head and L2 normalisation. Keys as in `best_model_latent.pt`'s `state_dict`.
/// Built in eval mode and frozen.
public final class CLCAELatentEncoder: Module {
    /// Trainable elements (the released `num_latent` 1).
    public static let officialParameterCount = 6_834_176

    /// [1, 1, 512]
    public let pos_embedding: Tensor
    public let coarse: CLCAE.TransformerEncoderLayer
    public let medium: CLCAE.TransformerEncoderLayer
    public let fine: CLCAE.TransformerEncoderLayer
    public let latent_projection: CLCAE.Projection

    /// The code width (512).
    public let width: Int

    /// Random weights until loaded, for codes of `width` (4 heads, a feed-forward of twice it); placed on `device`.
    /// `dropout` acts in training mode (the reference's 0.1).
    public init(width: Int = 512, device: Device = .cpu, dropout: Double = CLCAE.attentionDropout) throws {
        self.width = width
        pos_embedding = try Tensor.randn([1, 1, width])
        func layer() throws -> CLCAE.TransformerEncoderLayer {
            try CLCAE.TransformerEncoderLayer(dModel: width, heads: 4, feedForward: 2 * width, dropout: dropout)
        }
        (coarse, medium, fine) = (try layer(), try layer(), try layer())
        latent_projection = try CLCAE.Projection(width)
        super.init()
        try register(parameter: "pos_embedding", pos_embedding)
        try register(module: "coarse", coarse)
        try register(module: "medium", medium)
        try register(module: "fine", fine)
        try register(module: "latent_projection", latent_projection)
        try to(device: device)
        eval()
        try freeze()
    }

    /// Unit embeddings [N, D] of codes w [N, 1, D] relative to the average w [1 or N, 1, D].
    public func callAsFunction(_ w: Tensor, average: Tensor) throws -> Tensor {
        try expectInput(w, ["N", 1, .size(width)], name: "w")
        // One token per sample: [N, 1, 512] -> sequence-first [1, N, 512].
        var h = try (w - average).transpose(0, 1)
        for layer in [coarse, medium, fine] { h = try layer(h, pos: pos_embedding) }
        return try F.normalize(latent_projection(h.squeeze(0)), dim: -1)
    }
}

/// The contrastive pair as CLCAE's inversion training uses it (`ContrastiveID`): both encoders frozen, images
/// rendered from the foundation codes w scored against those codes.
public final class CLCAEContrastiveLoss {
    public let imageEncoder: CLCAEImageEncoder
    public let latentEncoder: CLCAELatentEncoder
    /// x_avg [1, 3, S, S]
    public let averageImage: Tensor
    /// w_avg [D]
    public let latentAvg: Tensor

    public init(imageEncoder: CLCAEImageEncoder, latentEncoder: CLCAELatentEncoder, averageImage: Tensor,
                latentAvg: Tensor) throws
    {
        let side = imageEncoder.encoder.design.trunk.inputSize, width = latentEncoder.width
        guard averageImage.shape == [1, 3, side, side], latentAvg.shape == [width],
              imageEncoder.encoder.design.width == width
        else {
            throw TorchError("CLCAEContrastiveLoss: the encoders' widths must agree and the average image be "
                + "[1, 3, \(side), \(side)] and latent_avg [\(width)]; got \(averageImage.shape) and \(latentAvg.shape)")
        }
        self.imageEncoder = imageEncoder
        self.latentEncoder = latentEncoder
        self.averageImage = averageImage
        self.latentAvg = latentAvg
    }

    /// The loss for images [N, 3, S, S] and the codes w [N, D] they were rendered from (N >= 2: each pair is
    /// contrasted with the batch's other pairs).
    public func callAsFunction(images: Tensor, w: Tensor) throws -> Tensor {
        let imageEmbeddings = try imageEncoder(images, average: averageImage)
        let latentEmbeddings = try latentEncoder(w.unsqueeze(1), average: latentAvg.reshape([1, 1, latentEncoder.width]))
        return try Self.symmetric(imageEmbeddings: imageEmbeddings, latentEmbeddings: latentEmbeddings,
                                  logitScale: imageEncoder.logitScale())
    }

    /// The symmetric CLIP loss of the paper (eq. 1-3): with logits s I Lᵀ between image and latent embeddings
    /// [N, D] (s = exp(logit_scale)), λ times the cross entropy of each image against all codes plus (1 - λ) times
    /// that of each code against all images, the matching pair being the target; λ = 0.5 as in `ClipLoss`.
    public static func symmetric(imageEmbeddings: Tensor, latentEmbeddings: Tensor, logitScale: Tensor,
                                 lambda: Double = 0.5) throws -> Tensor
    {
        guard imageEmbeddings.rank == 2, imageEmbeddings.shape == latentEmbeddings.shape else {
            throw TorchError("CLCAE contrastive loss: embeddings must both be [N, D], got \(imageEmbeddings.shape) "
                + "and \(latentEmbeddings.shape)")
        }
        let logits = try imageEmbeddings.matmul(latentEmbeddings.transpose(0, 1)) * logitScale  // [N, N]
        let targets = try Tensor.arange(0, Double(logits.size(0)), dtype: .int64, device: logits.device)
        let imageToLatent = try F.crossEntropy(logits, targets)
        let latentToImage = try F.crossEntropy(logits.transpose(0, 1), targets)
        return try imageToLatent * lambda + latentToImage * (1 - lambda)
    }
}
