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
    /// Data threads decoding images in the background.
    public var workers = 2
    /// Skip corrupt images (counted) instead of stopping at the first.
    public var skipBad = false
    public var seed: UInt64 = 0

    public init(dataset: String) {
        self.dataset = dataset
    }

    /// The channel plan both networks use.
    public var plan: ChannelPlan {
        if cbase != nil || cmax != nil { return .stylegan2ADA(cbase: cbase ?? 32768, cmax: cmax ?? 512) }
        return .rosinality(channelMultiplier: channelMultiplier)
    }

    /// rosinality's EMA decay, 0.5^(32 / (10 * 1000)): a half-life of 10 kimg at its batch of 32.
    public static let emaDecay = Foundation.pow(0.5, 32.0 / 10_000.0)

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
        if let cbase { try check((16...1 << 20).contains(cbase), "--cbase must be in 16...1048576, got \(cbase)") }
        if let cmax { try check((1...4096).contains(cmax), "--cmax must be in 1...4096, got \(cmax)") }
    }
}

/// A setting a StyleGAN2 run cannot use, or a checkpoint that does not fit it.
public struct StyleGAN2TrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
