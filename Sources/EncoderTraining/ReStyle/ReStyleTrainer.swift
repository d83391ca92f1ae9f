import Encoders
import StyleGAN
import Torch

/// ReStyle's `training/coach_restyle_psp.py` (and `coach_restyle_e4e.py` with e4e's regularizers): each step runs `n_iters_per_batch` refinement passes on the batch.
/// Pass 0 encodes the image beside the average image G(latent_avg) and adds the encoder's residual to `latent_avg`;
/// each later pass encodes the image beside the previous reconstruction (detached) and adds its residual to the
/// previous codes (detached). Every pass's loss is backpropagated and the gradients summed; then one optimiser step.
/// pSp's losses; the last pass's values are logged. Checkpoints always hold `latent_avg`, as ReStyle's.
public final class ReStyleTrainer: PSPTrainer {
    /// G(latent_avg) with the fixed noise, pooled to the input size: [1, 3, S, S].
    public let averageImage: Tensor

    override init(_ config: EncoderTrainingConfig, encoder: any StyleCodeNetwork, widths: StyleEncoderConfiguration,
                  decoder: StyleGAN2Generator, latentAvg: Tensor, networks: EncoderLossNetworks, device: Device) throws
    {
        let row = try Self.averageRow(latentAvg).to(device: device)
        averageImage = try withNoGrad {
            let codes = try row.unsqueeze(0).unsqueeze(0).expand([1, decoder.nLatent, row.size(0)])
            let image = try decoder.to(device: device).synthesis(codes, noise: .const)
            return try F.adaptiveAvgPool2d(image, (widths.inputSize, widths.inputSize))
        }
        try super.init(config, encoder: encoder, widths: widths, decoder: decoder, latentAvg: latentAvg,
                       networks: networks, device: device)
    }

    override var savesLatentAverage: Bool { true }

    /// ReStyle-e4e's discriminator sees the residual codes of the image beside the average image.
    override func discriminatorInput(_ x: Tensor) throws -> Tensor {
        try Tensor.cat([x, averageImage.expand([x.size(0), 3, x.size(2), x.size(3)])], dim: 1)
    }

    override var discriminatorCodeOffset: Tensor? { nil }

    /// ReStyle's `forward(x_input, latent)`: [N, 3, S, S] beside the previous reconstruction (the average image on
    /// the first pass) -> the new reconstruction and codes [N, L, D].
    func refine(_ x: Tensor, previous: (image: Tensor, latent: Tensor)?, noise: NoiseMode) throws
        -> (image: Tensor, latent: Tensor)
    {
        let reconstruction = try previous?.image ?? averageImage.expand([x.size(0), 3, x.size(2), x.size(3)])
        let codes = try encoder.styleCodes(Tensor.cat([x, reconstruction], dim: 1)) + (previous?.latent ?? latentAvg)
        return (try render(codes, noise: noise), codes)
    }

    /// The passes' values and loss against target `y`, `backward` after each (or not, for validation).
    private func passes(_ x: Tensor, target y: Tensor, noise: NoiseMode?, backward: Bool) throws
        -> (logged: [(String, Double)], yHat: Tensor)
    {
        var current: (image: Tensor, latent: Tensor)?
        var logged: [(String, Double)] = []
        for _ in 0..<config.nItersPerBatch {
            let previous = try current.map { (image: try $0.image.detach(), latent: try $0.latent.detach()) }
            let pass = try refine(x, previous: previous, noise: noise ?? freshNoise())
            let total: Tensor
            (total, logged) = try calcLoss(x: x, y: y, yHat: pass.image, latent: pass.latent)
            if backward { try total.backward() }
            current = pass
        }
        return (logged, current!.image)
    }

    override func backwardPass(_ x: Tensor, target y: Tensor, noise: NoiseMode?) throws
        -> (logged: [(String, Double)], yHat: Tensor)
    {
        try passes(x, target: y, noise: noise, backward: true)
    }

    override func validationLosses(_ x: Tensor, target y: Tensor) throws -> [(String, Double)] {
        try passes(x, target: y, noise: .const, backward: false).logged
    }
}
