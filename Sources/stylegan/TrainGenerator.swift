import ArgumentParser
import Foundation
import GeneratorTraining
import StyleGAN
import Training

/// `stylegan train generator DATASET --outdir RUN`: rosinality's `train.py`, flag for flag.
struct TrainGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract: "Train a StyleGAN2 generator (rosinality's train.py semantics) on a folder, zip or LMDB of images.",
        discussion: """
            DATASET is a folder of PNG/JPEG images (searched recursively; centre-cropped and resized to --size), a \
            StyleGAN2-ADA dataset zip, or a rosinality LMDB made by prepare_data.py. The run folder holds \
            checkpoint/NNNNNN.pt (rosinality's layout: generate.py and train.py --ckpt read them), samples/, \
            log.jsonl, TensorBoard event files and config.json. --resume auto continues from the run's last \
            checkpoint exactly as the uninterrupted run would; --ckpt FILE starts from any checkpoint. Narrow models: \
            --cbase and --cmax as in StyleGAN2-ADA (channels = min(cbase / resolution, cmax)).
            """
    )

    @Argument(help: "Image folder, StyleGAN2-ADA zip or rosinality LMDB.")
    var dataset: String

    @Option(help: "A StyleGAN2-ADA base configuration (auto, stylegan2, paper256, paper512, paper1024, cifar); flags given as well override it.")
    var cfg: StyleGAN2TrainingConfig.Preset?

    @Option(help: "Run folder.")
    var outdir: OutputFolder

    @Option(parsing: .unconditional, help: "Image size (a power of two).")
    var size = 256

    @Option(parsing: .unconditional, help: "Total training iterations (default 800000, or the preset's kimg).")
    var iter: Int?

    @Option(parsing: .unconditional, help: "Batch size (default 16, or the preset's).")
    var batch: Int?

    @Option(name: .customLong("n_sample"), parsing: .unconditional, help: "Samples in each grid.")
    var nSample = 64

    @Option(parsing: .unconditional, help: "Weight of the R1 regularisation (default 10, or the preset's gamma).")
    var r1: Double?

    @Option(name: .customLong("path_regularize"), parsing: .unconditional, help: "Weight of the path-length regularisation.")
    var pathRegularize = 2.0

    @Option(name: .customLong("path_batch_shrink"), parsing: .unconditional, help: "Batch divisor of the path-length step.")
    var pathBatchShrink = 2

    @Option(name: .customLong("d_reg_every"), parsing: .unconditional, help: "R1 every this many iterations.")
    var dRegEvery = 16

    @Option(name: .customLong("g_reg_every"), parsing: .unconditional, help: "Path-length regularisation every this many iterations.")
    var gRegEvery = 4

    @Option(parsing: .unconditional, help: "Probability of style mixing.")
    var mixing = 0.9

    @Option(parsing: .unconditional, help: "Learning rate (default 0.002, or the preset's).")
    var lr: Double?

    @Option(name: .customLong("channel_multiplier"), parsing: .unconditional, help: "Channel multiplier (config-f: 2).")
    var channelMultiplier = 2

    @Option(parsing: .unconditional, help: "StyleGAN2-ADA's cbase (channels = min(cbase / resolution, cmax)).")
    var cbase: Int?

    @Option(parsing: .unconditional, help: "The discriminator's minibatch-stddev group size (default 4, or the preset's).")
    var mbstd: Int?

    @Option(name: .customLong("ema_kimg"), parsing: .unconditional, help: "EMA half-life in kimg (default: rosinality's fixed decay, or the preset's).")
    var emaKimg: Double?

    @Option(parsing: .unconditional, help: "StyleGAN2-ADA's cmax.")
    var cmax: Int?

    @Option(parsing: .unconditional, help: "Latent size (z and w).")
    var latent = 512

    @Option(name: .customLong("n_mlp"), parsing: .unconditional, help: "Mapping layers (default 8, or the preset's).")
    var nMLP: Int?

    @Flag(help: "Augment reals and fakes (ADA).")
    var augment = false

    @Option(name: .customLong("augment_p"), parsing: .unconditional, help: "Fixed augmentation probability (0: adaptive).")
    var augmentP = 0.0

    @Option(name: .customLong("ada_target"), parsing: .unconditional, help: "ADA's target r_t.")
    var adaTarget = 0.6

    @Option(name: .customLong("ada_length"), parsing: .unconditional, help: "ADA's adjustment length in images.")
    var adaLength = 500_000.0

    @Option(name: .customLong("ada_every"), parsing: .unconditional, help: "ADA adjusts p every this many iterations.")
    var adaEvery = 256

    @Option(help: "auto (the run's last checkpoint, or fresh) or a checkpoint file.")
    var resume: String?

    @Option(help: "A checkpoint to start from (rosinality's --ckpt).")
    var ckpt: String?

    @Option(parsing: .unconditional, help: "Seed of every random stream.")
    var seed = 0

    @Option(name: .customLong("save_every"), parsing: .unconditional, help: "Checkpoint every this many iterations.")
    var saveEvery = 10_000

    @Option(name: .customLong("sample_every"), parsing: .unconditional, help: "Sample grid every this many iterations.")
    var sampleEvery = 100

    @Option(help: "pytorch-fid's Inception weights (pt_inception-2015-12-05-6726825d.pth): FID every --eval_every.")
    var inception: String?

    @Option(name: .customLong("eval_every"), parsing: .unconditional, help: "Evaluate (FID) every this many iterations.")
    var evalEvery = 10_000

    @Option(name: .customLong("eval_samples"), parsing: .unconditional, help: "Images per FID (generated and real).")
    var evalSamples = 5_000

    @Option(parsing: .unconditional, help: "Background data threads.")
    var workers = 2

    @Flag(help: "Skip corrupt images (counted) instead of stopping.")
    var skipBad = false

    @Option(help: "What both networks compute in: float32, or bfloat16 (weights, optimiser and losses stay float32; about twice as fast on CPUs with AVX512-BF16 or AMX).")
    var precision: ComputePrecision = .float32

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    /// rosinality's defaults, then the preset, then every flag given.
    var config: StyleGAN2TrainingConfig {
        var c = StyleGAN2TrainingConfig(dataset: dataset)
        c.size = size
        if let cfg { c.apply(cfg) }
        if let iter { c.iter = iter }
        if let batch { c.batch = batch }
        if let r1 { c.r1 = r1 }
        if let lr { c.lr = lr }
        if let mbstd { c.mbstd = mbstd }
        if let emaKimg { c.emaKimg = emaKimg }
        if let nMLP { c.nMLP = nMLP }
        if let cbase { c.cbase = cbase }
        if let cmax { c.cmax = cmax }
        (c.nSample, c.pathRegularize, c.pathBatchShrink, c.dRegEvery) = (nSample, pathRegularize, pathBatchShrink, dRegEvery)
        (c.gRegEvery, c.mixing, c.channelMultiplier, c.latent) = (gRegEvery, mixing, channelMultiplier, latent)
        (c.augment, c.augmentP, c.adaTarget, c.adaLength, c.adaEvery) = (augment, augmentP, adaTarget, adaLength, adaEvery)
        (c.workers, c.skipBad, c.seed, c.precision) = (workers, skipBad, UInt64(clamping: seed), precision)
        return c
    }

    var resumption: Resume {
        if let ckpt { return .checkpoint(path: ckpt) }
        switch resume {
        case nil: return .fresh
        case "auto": return .auto
        case let path?: return .checkpoint(path: path)
        }
    }

    func validate() throws {
        try Seed.check("--seed", seed)
        do { try config.validate() } catch let error as StyleGAN2TrainingError { throw ValidationError(error.description) }
        try Bounds.check("--save_every", saveEvery, 1...100_000_000)
        try Bounds.check("--sample_every", sampleEvery, 1...100_000_000)
        if resume != nil, ckpt != nil { throw ValidationError("give --resume or --ckpt, not both") }
        try Bounds.check("--eval_every", evalEvery, 1...100_000_000)
        try Bounds.check("--eval_samples", evalSamples, 2...1_000_000)
        if let inception, !FileManager.default.fileExists(atPath: inception) {
            throw ValidationError("\(inception): no such file (--inception)")
        }
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let device = try self.device.resolve()
        let trainer = try StyleGAN2Trainer(config, device: device)
        if let inception { trainer.evaluation = try .fid(inception: inception, samples: evalSamples, device: device) }
        let options = TrainingOptions(iterations: config.iter, checkpointEvery: saveEvery, sampleEvery: sampleEvery,
                                      evaluateEvery: inception == nil ? nil : evalEvery, resume: resumption)
        let progress: ProgressMode = runtime.quiet ? .quiet : .automatic
        let outcome = try TrainingLoop(run: RunDirectory(path: outdir.path), options: options, progress: progress)
            .train(trainer, config: TrainingRecord(training: config, loop: options))
        if !trainer.skippedImages.isEmpty {
            FileHandle.standardError.write(Data("note: skipped \(trainer.skippedImages.count) unreadable images\n".utf8))
        }
        print(outcome.summary)
    }
}

/// What `config.json` holds: the model's settings and the loop's.
struct TrainingRecord: Encodable {
    let training: StyleGAN2TrainingConfig
    let loop: TrainingOptions
}

extension StyleGAN2TrainingConfig.Preset: ExpressibleByArgument {}
