import Foundation
import Perception
import StyleGAN
import Torch

extension Projector.Options {
    /// PTI's pivot projection (its `w_projector`, StyleGAN2-ADA's projector): one w, 450 steps, peak learning
    /// rate 0.01, W statistics from 600 mapped samples, noise maps optimised with the 1e5 regulariser.
    public static var pti: Projector.Options {
        var o = Projector.Options()
        o.steps = 450
        o.lr = 0.01
        o.meanSamples = 600
        return o
    }
}

/// Pivotal Tuning Inversion (Roich et al. 2022, danielroich/PTI): find a pivot w for the target, then tune the
/// synthesis network with Adam until G(pivot) reproduces it, optionally keeping the generator unchanged around
/// the pivot with the locality regulariser.
///
/// As in the reference, the tuning renders the pivot with the generator's fixed noise maps (`noise_mode='const'`;
/// the projector's optimised maps are discarded), the regulariser renders without noise, and the mapping network
/// never changes (it is not in the graph). The result is the additive delta θ_tuned − θ of every parameter that
/// changed: all synthesis parameters, the ToRGB layers, modulation affines, biases and noise strengths included.
public struct PTI {
    public struct Options: Codable, Equatable, Sendable {
        /// The pivot projection when `tune` is given no pivot (`first_inv_type = 'w'`, `first_inv_steps = 450`).
        public var projector = Projector.Options.pti
        /// Tuning steps (`max_pti_steps`).
        public var steps = 350
        /// Adam's learning rate (`pti_learning_rate`).
        public var lr = 3e-4
        /// Stop once the image loss's "lpips" term is at most this, checked before each update
        /// (`LPIPS_value_threshold`). nil, or a loss without an LPIPS term, runs every step.
        public var lpipsThreshold: Double? = 0.06
        /// The locality regulariser (`use_locality_regularization`, off in the published configuration).
        public var locality = false
        /// How far from the pivot the regulariser's codes lie, in the norm of the whole w+ difference
        /// (`regulizer_alpha`).
        public var localityAlpha = 30.0
        /// Truncation ψ toward the average w of the regulariser's mapped codes.
        public var localityTruncation = 0.5
        /// Codes per regularised step (`latent_ball_num_of_samples`).
        public var localitySamples = 1
        /// Regularise every this many steps (`locality_regularization_interval`).
        public var localityInterval = 1
        /// Weight of each image-loss term in the regulariser when no locality loss is given (the reference's
        /// `regulizer_l2_lambda` = `regulizer_lpips_lambda` = 0.1 against `pt_l2_lambda` = `pt_lpips_lambda` = 1).
        public var localityWeight = 0.1
        /// Fresh z that `Result.localityPSNR` averages over (0 skips the measurement).
        public var evaluationSamples = 8
        public var seed: UInt64 = 0

        public init() {}

        /// The published configuration (`configs/hyperparameters.py`).
        public static var reference: Options { Options() }

        /// The published configuration with the locality regulariser on.
        public static var regularized: Options {
            var o = Options()
            o.locality = true
            return o
        }
    }

    public struct Result {
        /// The pivot, w+ [1, L, D].
        public let pivot: Tensor
        /// θ_tuned − θ by state-dict key, for every parameter the tuning changed.
        public let deltas: [String: Tensor]
        /// The tuned generator's image of the pivot, [1, 3, S, S].
        public let image: Tensor
        /// Total loss of each step, before its update (the last one is the returned generator's when the
        /// LPIPS threshold stopped the tuning).
        public let lossCurve: [Double]
        /// Updates made (fewer than `steps` when the LPIPS threshold was reached).
        public let steps: Int
        /// Mean PSNR (dB) between the frozen and the tuned generator's images of fresh w = mapping(z).
        public let localityPSNR: Double
        /// The tuned generator (a copy; the given one is unchanged).
        public let generator: StyleGAN2Generator

        /// The inversion as a file: the pivot and additive deltas.
        public func inversionFile(generatorSHA256: String, options: Options, seconds: Double) throws -> InversionFile {
            let metadata = InversionFile.Metadata(method: "pti", options: try Tuning.metadata(options),
                                                  generatorSHA256: generatorSHA256, imageSize: image.size(3),
                                                  seconds: seconds, lossCurve: lossCurve)
            return InversionFile(wPlus: try pivot.squeeze(0), deltas: (.additive, deltas), metadata: metadata)
        }
    }

    public let generator: LoadedGenerator
    /// The reconstruction loss (the reference: L2 + LPIPS AlexNet, both weight 1; see `referenceLoss`).
    public let loss: ImageLoss
    /// The regulariser's loss between tuned and frozen images; nil uses `loss` with every weight times
    /// `options.localityWeight`.
    public let localityLoss: ImageLoss?
    public let options: Options

    public init(generator: LoadedGenerator, loss: ImageLoss, localityLoss: ImageLoss? = nil, options: Options = Options()) {
        self.generator = generator
        self.loss = loss
        self.localityLoss = localityLoss
        self.options = options
    }

    /// The reference's loss: MSE plus LPIPS at full resolution (PTI does not pool to 256), or MSE alone without
    /// an LPIPS network.
    public static func referenceLoss(lpips: LPIPS?) -> ImageLoss {
        guard let lpips else { return ImageLoss(terms: [ImageLoss.l2()]) }
        return ImageLoss(terms: [ImageLoss.l2(), ImageLoss.lpipsFullResolution(lpips)])
    }

    /// Inverts `target` [1, 3, S, S] in [-1, 1]: projects it for a pivot unless one is given (w [1, D] or
    /// w+ [1, L, D], e.g. `InversionFile.tuningPivot()`), then tunes. `progress(stage, step, loss, image)` follows both.
    public func tune(target: Tensor, pivot given: Tensor? = nil,
                     progress: (TuningStage, Int, Double, Tensor) throws -> Void = { _, _, _, _ in }) throws -> Result
    {
        let frozen = generator.generator
        try Tuning.checkTarget(target, size: frozen.config.size)
        guard options.steps >= 0, options.localitySamples > 0, options.localityInterval > 0 else {
            throw TorchError("PTI needs steps >= 0 and positive locality samples and interval")
        }
        try frozen.freeze()
        let target = try target.detach()
        let pivot = try Tuning.pivot(given, target: target, generator: frozen, loss: loss, projector: options.projector,
                                     progress: progress)
        let tuned = try frozen.applying(.additive, [:])
        let trainable = tuned.namedParameters().filter { !$0.name.hasPrefix("style.") }
        try tuned.freeze()
        for (_, p) in trainable { try p.requiresGrad(true) }
        let optimizer = try Adam(trainable.map(\.tensor), lr: options.lr)
        let regularizer = localityLoss ?? ImageLoss(terms: loss.terms.map { $0.weighted($0.weight * options.localityWeight) })
        let rng = try Torch.Generator(seed: options.seed)
        var curve: [Double] = []
        var updates = 0
        for step in 0..<options.steps {
            let image = try tuned.synthesis(pivot, noise: .const)
            var (total, parts) = try loss(image, target)
            if options.locality, step % options.localityInterval == 0 {
                total = try total + locality(tuned: tuned, pivot: pivot, loss: regularizer, rng: rng)
            }
            let value = try total.item()
            curve.append(value)
            if let threshold = options.lpipsThreshold, let lpips = parts.first(where: { $0.0 == .lpips }),
               lpips.1 <= threshold
            {
                break
            }
            try optimizer.zeroGrad()
            try total.backward()
            try optimizer.step()
            updates += 1
            try progress(.tuning, step + 1, value, image.detach())
        }
        try tuned.freeze()
        return try withNoGrad {
            let original = try frozen.stateDict().dictionary
            var deltas: [String: Tensor] = [:]
            for (key, p) in trainable {
                let delta = try p - original[key]!
                if try delta.abs().max().item() > 0 { deltas[key] = delta }
            }
            let psnr = try Tuning.localityPSNR(frozen: frozen, samples: options.evaluationSamples,
                                               seed: options.seed &+ 1, device: target.device) {
                try tuned.synthesis($0)
            }
            return Result(pivot: pivot, deltas: deltas, image: try tuned.synthesis(pivot, noise: .const),
                          lossCurve: curve, steps: updates, localityPSNR: psnr, generator: tuned)
        }
    }

    /// The reference's `Space_Regulizer`: w = mapping(z) truncated toward the average, moved to distance α from the
    /// pivot along w+ − pivot, rendered without noise by both generators; the loss between the two images,
    /// averaged over the samples.
    private func locality(tuned: StyleGAN2Generator, pivot: Tensor, loss: ImageLoss, rng: Torch.Generator) throws
        -> Tensor
    {
        let frozen = generator.generator
        let (n, l, d) = (options.localitySamples, frozen.nLatent, frozen.config.styleDim)
        let codes = try withNoGrad { () -> Tensor in
            let z = try Tensor.randn([n, d], generator: rng).to(device: pivot.device)
            let average = try generator.latentAvg.to(device: pivot.device, dtype: pivot.dtype)
            return try average + (frozen.mapping(z) - average) * options.localityTruncation  // [n, D]
        }
        var total: Tensor?
        for i in 0..<n {
            let direction = try codes.slice(0, i, i + 1).unsqueeze(1).expand([1, l, d]) - pivot  // [1, L, D]
            let moved = try pivot + direction * (options.localityAlpha / direction.norm().item())
            let reference = try withNoGrad { try frozen.synthesis(moved, noise: .zero) }
            let value = try loss(tuned.synthesis(moved, noise: .zero), reference).total
            total = try total.map { try $0 + value } ?? value
        }
        return try total! / Double(n)
    }
}
