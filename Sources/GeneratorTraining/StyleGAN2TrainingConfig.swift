import Foundation
import StyleGAN

/// The settings of a StyleGAN2 run, named and defaulted as rosinality's `train.py` flags (`--iter`, `--batch`,
/// `--r1`, ...), with StyleGAN2-ADA's width controls (`cbase`, `cmax`) for narrow models. Codable: the run folder's
/// `config.json` and the checkpoint's `args` hold it.
public struct StyleGAN2TrainingConfig: Codable, Equatable, Sendable {
    /// The dataset: an image folder, a StyleGAN2-ADA zip or a rosinality LMDB.
    public var dataset: String
    public var size = 256
    public var iter = 800_000
    public var batch = 16
    public var nSample = 64
    public var r1 = 10.0
    public var pathRegularize = 2.0
    public var pathBatchShrink = 2
    public var dRegEvery = 16
    public var gRegEvery = 4
    public var mixing = 0.9
    public var lr = 0.002
    public var channelMultiplier = 2
    /// StyleGAN2-ADA's `cbase` and `cmax` (channels = min(cbase / resolution, cmax)); nil: rosinality's plan.
    public var cbase: Int?
    public var cmax: Int?
    /// rosinality's `--latent` and `--n_mlp`.
    public var latent = 512
    public var nMLP = 8
    public var augment = false
    /// A fixed augmentation probability; 0 with `augment` adapts it (ADA).
    public var augmentP = 0.0
    public var adaTarget = 0.6
    public var adaLength = 500_000.0
    public var adaEvery = 256
    /// The minibatch-stddev group size of the discriminator (rosinality: 4).
    public var mbstd = 4
    /// StyleGAN2-ADA's EMA half-life in thousands of images and its ramp-up; nil: rosinality's fixed decay
    /// 0.5^(32 / 10000).
    public var emaKimg: Double?
    public var emaRampup: Double?
    /// Data threads decoding images in the background.
    public var workers = 2
    /// Skip corrupt images (counted) instead of stopping at the first.
    public var skipBad = false
    public var seed: UInt64 = 0
    /// What the convolutions and activations of both networks compute in; parameters, optimiser state, EMA and
    /// losses stay float32 either way (bfloat16 needs no loss scaling: it keeps float32's range).
    public var precision = ComputePrecision.float32

    public init(dataset: String) {
        self.dataset = dataset
    }

    /// The channel plan both networks use.
    public var plan: ChannelPlan {
        if cbase != nil || cmax != nil { return .stylegan2ADA(cbase: cbase ?? 32768, cmax: cmax ?? 512) }
        return .rosinality(channelMultiplier: channelMultiplier)
    }

    /// rosinality's EMA decay, 0.5^(32 / (10 * 1000)): a half-life of 10 kimg at its batch of 32.
    public static let rosinalityEMADecay = Foundation.pow(0.5, 32.0 / 10_000.0)

    /// The EMA decay of the update after `iteration` completed iterations: rosinality's constant, or StyleGAN2-ADA's
    /// 0.5^(batch / ema_nimg) with ema_nimg = min(ema_kimg * 1000, images seen * ramp-up).
    public func emaDecay(afterIterations iteration: Int) -> Double {
        guard let emaKimg else { return Self.rosinalityEMADecay }
        var images = emaKimg * 1000
        if let emaRampup { images = Swift.min(images, Double(iteration * batch) * emaRampup) }
        return Foundation.pow(0.5, Double(batch) / Swift.max(images, 1e-8))
    }

    /// StyleGAN2-ADA's base configurations (`train.py --cfg`), for one process.
    public enum Preset: String, Codable, CaseIterable, Sendable {
        case auto, stylegan2, paper256, paper512, paper1024, cifar
    }

    /// Applies a StyleGAN2-ADA preset: batch (mb), minibatch-stddev group, widths (fmaps x 32768, at most 512),
    /// learning rate, R1 gamma, EMA half-life and ramp-up, mapping depth, and the length (kimg) as iterations.
    /// `auto` derives them from the resolution as that script does for one GPU.
    public mutating func apply(_ preset: Preset) {
        typealias Spec = (kimg: Int, mb: Int, mbstd: Int, fmaps: Double, lrate: Double, gamma: Double, ema: Double,
                          ramp: Double?, map: Int)
        let spec: Spec = switch preset {
        case .auto:
            {
                let mb = Swift.max(Swift.min(Swift.min(4096 / size, 32), 64), 1)
                return (25000, mb, Swift.min(mb, 4), size >= 512 ? 1 : 0.5, size >= 1024 ? 0.002 : 0.0025,
                        0.0002 * Double(size * size) / Double(mb), Double(mb) * 10 / 32, 0.05, 2)
            }()
        case .stylegan2: (25000, 32, 4, 1, 0.002, 10, 10, nil, 8)
        case .paper256: (25000, 64, 8, 0.5, 0.0025, 1, 20, nil, 8)
        case .paper512: (25000, 64, 8, 1, 0.0025, 0.5, 20, nil, 8)
        case .paper1024: (25000, 32, 4, 1, 0.002, 2, 10, nil, 8)
        case .cifar: (100000, 64, 32, 1, 0.0025, 0.01, 500, 0.05, 2)
        }
        batch = spec.mb
        mbstd = spec.mbstd
        cbase = Int(spec.fmaps * 32768)
        cmax = 512
        lr = spec.lrate
        r1 = spec.gamma
        emaKimg = spec.ema
        emaRampup = spec.ramp
        nMLP = spec.map
        iter = spec.kimg * 1000 / spec.mb
    }

    /// Checks every number against what the trainer can do, naming the flag as the command line spells it.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw StyleGAN2TrainingError(message) } }
        try check(size >= 8 && size <= 1024 && size & (size - 1) == 0, "--size must be a power of two in 8...1024, got \(size)")
        try check((1...100_000_000).contains(iter), "--iter must be in 1...100000000, got \(iter)")
        try check((1...1024).contains(batch), "--batch must be in 1...1024, got \(batch)")
        try check((1...1024).contains(nSample), "--n_sample must be in 1...1024, got \(nSample)")
        try check(r1 >= 0 && r1.isFinite, "--r1 must be at least 0, got \(r1)")
        try check(pathRegularize >= 0 && pathRegularize.isFinite, "--path_regularize must be at least 0, got \(pathRegularize)")
        try check((1...batch).contains(pathBatchShrink), "--path_batch_shrink must be in 1...\(batch), got \(pathBatchShrink)")
        try check((1...100_000).contains(dRegEvery), "--d_reg_every must be in 1...100000, got \(dRegEvery)")
        try check((1...100_000).contains(gRegEvery), "--g_reg_every must be in 1...100000, got \(gRegEvery)")
        try check((0...1).contains(mixing), "--mixing must be in [0, 1], got \(mixing)")
        try check(lr > 0 && lr < 1, "--lr must be in (0, 1), got \(lr)")
        try check((1...8).contains(channelMultiplier), "--channel_multiplier must be in 1...8, got \(channelMultiplier)")
        try check(latent >= 1 && latent <= 4096, "--latent must be in 1...4096, got \(latent)")
        try check((1...16).contains(nMLP), "--n_mlp must be in 1...16, got \(nMLP)")
        try check((0...1).contains(augmentP), "--augment_p must be in [0, 1], got \(augmentP)")
        try check((0...1).contains(adaTarget), "--ada_target must be in [0, 1], got \(adaTarget)")
        try check(adaLength > 0, "--ada_length must be positive, got \(adaLength)")
        try check((1...1_000_000).contains(adaEvery), "--ada_every must be in 1...1000000, got \(adaEvery)")
        try check((0...64).contains(workers), "--workers must be in 0...64, got \(workers)")
        try check((1...batch).contains(mbstd) && batch % mbstd == 0 || mbstd == 1,
                  "--mbstd must divide --batch (\(batch)), got \(mbstd)")
        if let emaKimg { try check(emaKimg > 0, "--ema_kimg must be positive, got \(emaKimg)") }
        if let emaRampup { try check(emaRampup > 0, "--ema_rampup must be positive, got \(emaRampup)") }
        if let cbase { try check((16...1 << 20).contains(cbase), "--cbase must be in 16...1048576, got \(cbase)") }
        if let cmax { try check((1...4096).contains(cmax), "--cmax must be in 1...4096, got \(cmax)") }
    }
}

/// A setting a StyleGAN2 run cannot use, or a checkpoint that does not fit it.
public struct StyleGAN2TrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
