import Foundation
import StyleGAN
import Torch

/// The StyleGAN2 projector (Karras et al. 2020, appendix D, in rosinality's `projector.py`): optimise w (or w+)
/// from the latent mean with Adam, a cosine learning-rate ramp-down and linear ramp-up, latent noise that decays
/// over the first 75% of steps, and noise maps optimised with the auto-correlation regulariser.
public struct Projector {
    public struct Options: Codable, Equatable, Sendable {
        public var steps = 1000
        public var lr = 0.1
        public var lrRampup = 0.05
        public var lrRampdown = 0.25
        /// Latent noise strength, in units of the latent std, at step 0.
        public var noise = 0.05
        /// Fraction of the steps over which latent noise decays (quadratically) to zero.
        public var noiseRamp = 0.75
        public var noiseRegularize = 1e5
        /// Weight of the MSE term added to the perceptual loss (the reference's `--mse`, 0 by default), computed as
        /// there on the images average-pooled to 256.
        public var mse = 0.0
        /// Keep the learning rate at `lr` throughout (Image2StyleGAN) instead of the ramps.
        public var constantLearningRate = false
        /// Optimise w+ [L, D] instead of one w.
        public var wPlus = false
        /// Optimise the noise maps (the reference) or keep the generator's fixed maps.
        public var optimizeNoise = true
        /// Mapped samples for the latent mean and std.
        public var meanSamples = 10_000
        public var seed: UInt64 = 0

        public init() {}

        /// Image2StyleGAN (Abdal et al. 2019): w+ from the mean, Adam at a constant 0.01 for 5000 steps, MSE plus a
        /// perceptual loss (theirs: VGG16 conv1_1, conv1_2, conv3_2, conv4_2 features; ours: the LPIPS term passed
        /// to the projector), no latent noise and the generator's own noise maps.
        public static var image2StyleGAN: Options {
            var o = Options()
            o.steps = 5000
            o.lr = 0.01
            o.constantLearningRate = true
            o.noise = 0
            o.noiseRegularize = 0
            o.optimizeNoise = false
            o.wPlus = true
            o.mse = 1
            return o
        }
    }

    public struct Result {
        /// [N, L, D]
        public let wPlus: Tensor
        /// Optimised noise maps (nil when the generator's fixed maps were used).
        public let noiseMaps: [Tensor]?
        /// [N, 3, S, S]
        public let image: Tensor
        /// Loss after each step.
        public let lossCurve: [Double]
    }

    public let generator: StyleGAN2Generator
    public let loss: ImageLoss
    public let options: Options

    public init(generator: StyleGAN2Generator, loss: ImageLoss, options: Options = Options()) {
        self.generator = generator
        self.loss = loss
        self.options = options
    }

    /// The reference's learning-rate schedule at progress t in [0, 1].
    public static func learningRate(_ t: Double, options: Options) -> Double {
        if options.constantLearningRate { return options.lr }
        var ramp = Swift.min(1, (1 - t) / options.lrRampdown)
        ramp = 0.5 - 0.5 * cos(ramp * .pi)
        ramp *= Swift.min(1, t / options.lrRampup)
        return options.lr * ramp
    }

    /// Projects targets [N, 3, S, S] in [-1, 1] starting from the latent mean, or from `start` (w [N, D] or
    /// w+ [N, L, D], e.g. an encoder's output); `progress(step, loss, image)` is called after each step with the
    /// images [N, 3, S, S] that step rendered (detached).
    public func project(_ target: Tensor, start: Tensor? = nil, progress: (Int, Double, Tensor) throws -> Void = { _, _, _ in }) throws
        -> Result
    {
        let g = generator
        let size = g.config.size
        guard target.rank == 4, target.size(1) == 3, target.size(2) == size, target.size(3) == size else {
            throw TorchError("projector target must be [N, 3, \(size), \(size)], got \(target.shape)")
        }
        guard options.steps > 0 else { throw TorchError("projector needs at least one step") }
        guard loss.terms.contains(where: { $0.weight != 0 }) || options.mse > 0 else {
            throw TorchError("the projector needs a loss: an image-loss term or an MSE weight")
        }
        try g.freeze()
        let target = try target.detach()
        let rng = try Generator(seed: options.seed)
        let n = target.size(0)
        let device = target.device
        let (mean, std) = try withNoGrad { () -> (Tensor, Double) in
            let z = try Tensor.randn([options.meanSamples, g.config.styleDim], generator: rng).to(device: device)
            let w = try g.mapping(z)
            let mean = try w.mean([0])
            let std = try ((w - mean).square().sum() / Double(options.meanSamples)).sqrt().item()
            return (mean, std)
        }
        let initial = try start?.detach().to(device: device) ?? mean.unsqueeze(0).repeat([n, 1])
        let latent: Tensor
        switch (initial.rank, options.wPlus) {
        case (2, true): latent = try initial.unsqueeze(1).repeat([1, g.nLatent, 1]).clone()
        case (2, false), (3, true): latent = try initial.clone()
        default: throw TorchError("a w+ start [N, L, D] needs the w+ projector")
        }
        guard latent.size(0) == n, latent.size(-1) == g.config.styleDim, latent.rank == 2 || latent.size(1) == g.nLatent else {
            throw TorchError("projector start must be [\(n), \(g.config.styleDim)] or [\(n), \(g.nLatent), \(g.config.styleDim)], got \(initial.shape)")
        }
        try latent.requiresGrad(true)
        var maps: [Tensor]?
        if options.optimizeNoise {
            maps = try g.noises.maps.map { map in
                let m = try Tensor.randn([n, 1, map.size(2), map.size(3)], generator: rng).to(device: device)
                return try m.requiresGrad(true)
            }
        }
        let optimizer = try Adam([latent] + (maps ?? []), lr: options.lr)
        var curve: [Double] = []
        for step in 0..<options.steps {
            let t = Double(step) / Double(options.steps)
            optimizer.learningRates = [Projector.learningRate(t, options: options)]
            let strength = std * options.noise * Foundation.pow(Swift.max(0, 1 - t / options.noiseRamp), 2)
            let noisy = try latent + Tensor.randn(latent.shape, generator: rng).to(device: device) * strength
            let wPlus = noisy.rank == 3 ? noisy : try noisy.unsqueeze(1).expand([n, g.nLatent, g.config.styleDim])
            let image = try g.synthesis(wPlus, noise: maps.map { .explicit($0) } ?? .const)
            var total = try Tensor.zeros([], dtype: target.dtype, device: device)
            if loss.terms.contains(where: { $0.weight != 0 }) { total = try loss(image, target).total }
            if options.mse > 0 {
                total = try total + F.mseLoss(ImageLoss.downTo256(image), ImageLoss.downTo256(target)) * options.mse
            }
            if let maps, options.noiseRegularize > 0 {
                total = try total + NoiseMaps.regularization(maps) * options.noiseRegularize
            }
            try optimizer.zeroGrad()
            try total.backward()
            try optimizer.step()
            if let maps { try NoiseMaps.normalize(maps) }
            let value = try total.item()
            curve.append(value)
            try progress(step + 1, value, image.detach())
        }
        return try withNoGrad {
            let final = try latent.detach()
            let wPlus = final.rank == 3 ? final : try final.unsqueeze(1).repeat([1, g.nLatent, 1])
            let frozenMaps = try maps?.map { try $0.detach() }
            let image = try g.synthesis(wPlus, noise: frozenMaps.map { .explicit($0) } ?? .const)
            return Result(wPlus: wPlus, noiseMaps: frozenMaps, image: image, lossCurve: curve)
        }
    }
}
