import Torch

/// StyleGAN2's adversarial losses and R1 penalty, as rosinality's train.py computes them (e4e's latent discriminator
/// uses the same).
public enum GANLoss {
    /// The discriminator's logistic loss: mean softplus(-D(real)) + mean softplus(D(fake)).
    public static func discriminatorLogistic(realPredictions: Tensor, fakePredictions: Tensor) throws -> Tensor {
        try F.softplus(-realPredictions).mean() + F.softplus(fakePredictions).mean()
    }

    /// The generator's non-saturating loss: mean softplus(-D(G(z))).
    public static func generatorNonSaturating(fakePredictions: Tensor) throws -> Tensor {
        try F.softplus(-fakePredictions).mean()
    }

    /// R1: the mean over the batch of |dD(x)/dx|², with x the real images (which must require gradients and be
    /// where `realPredictions` came from, through any augmentation). Differentiable in the discriminator's weights
    /// (double backward). rosinality's lazy step minimises r1 / 2 x this x d_reg_every.
    public static func r1Penalty(realPredictions: Tensor, realImages: Tensor) throws -> Tensor {
        guard realImages.requiresGrad else {
            throw TorchError("R1 penalty: the real images must require gradients before the discriminator sees them")
        }
        guard let grad = try gradients(of: realPredictions.sum(), wrt: [realImages], createGraph: true)[0] else {
            throw TorchError("R1 penalty: the predictions do not depend on the real images")
        }
        return try grad.square().reshape([grad.size(0), -1]).sum([1]).mean()
    }
}
