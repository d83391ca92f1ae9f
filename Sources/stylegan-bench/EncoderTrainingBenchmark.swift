import Checkpoints
import EncoderTraining
import Encoders
import Foundation
import Images
import Perception
import StyleGAN
import Torch
import Training

/// One training step of each encoder method (`stylegan train encoder`) beside the plain-PyTorch reference
/// (bench/encoder_training_reference.py), each setting in a process of its own so the peak memory is that setting's.
enum EncoderTrainingBenchmark {
    /// A method at a width: `divisor` 1 is the official encoder (IR-SE50) on a full-width generator of `size`; more
    /// divides the encoder's and the generator's widths (codes 512 / divisor).
    struct Setting {
        let method: EncoderMethod
        let divisor: Int
        let size: Int
        let warmup: Int
        let repeats: Int

        var arguments: [String] { [method.rawValue, "\(divisor)", "\(size)", "\(warmup)", "\(repeats)"] }
        var widths: String {
            divisor == 1 ? "official (\(method == .featureStyle ? "iResNet-50" : "IR-SE50"); \(size) px generator, channel multiplier 2)"
                : "encoder and generator / \(divisor) (\(size) px, codes \(512 / divisor))"
        }
    }

    /// Every method `stylegan train encoder` trains, each with its own reference step.
    static let methods: [EncoderMethod] = [.psp, .e4e, .restylePSP, .e2style, .featureStyle, .clcae]

    /// Each method at 1/8 width, then at the official width (ReStyle's five passes timed once there: minutes each).
    static let settings = methods.map { Setting(method: $0, divisor: 8, size: 64, warmup: 1, repeats: 3) }
        + methods.map { Setting(method: $0, divisor: 1, size: 256, warmup: 1, repeats: $0 == .restylePSP ? 1 : 2) }

    struct Measurement: Decodable {
        var ms: Double
        var peak_rss_mib: Double
    }

    static func section(into report: inout Report, context: Machine? = nil) throws {
        var table = [["method", "widths", "ours (ms)", "reference (ms)", "vs reference", "reference, allocator as ours (ms)",
                      "vs reference, same allocator", "ours, loss networks in bfloat16 (ms)", "bfloat16 vs reference",
                      "peak RSS ours / reference / reference with our allocator / ours in bfloat16 (MiB)"]]
        func ratio(_ reference: Double, _ ours: Double) -> String {
            reference >= ours ? String(format: "%.2fx faster", reference / ours) : String(format: "%.2fx slower", ours / reference)
        }
        for setting in settings {
            func ours(_ precision: ComputePrecision) throws -> Measurement {
                try measure(command: CommandLine.arguments[0],
                            ["--encoder-training-run"] + setting.arguments + [precision.rawValue], environment: [:])
            }
            let (ours, half) = (try ours(.float32), try ours(.bfloat16))
            func reference(_ environment: [String: String]) throws -> Measurement {
                try measure(command: "python3", ["bench/encoder_training_reference.py", "\(Runtime.threads)"] + setting.arguments,
                            environment: environment.merging(["PYTHONPATH": ".deps/python"]) { $1 })
            }
            let (plain, alike) = (try reference([:]), try reference(PythonReference.ourAllocator))
            table.append([setting.method.rawValue, setting.widths, fmt(ours.ms), fmt(plain.ms), ratio(plain.ms, ours.ms),
                          fmt(alike.ms), ratio(alike.ms, ours.ms), fmt(half.ms), ratio(plain.ms, half.ms),
                          "\(fmt(ours.peak_rss_mib)) / \(fmt(plain.peak_rss_mib)) / \(fmt(alike.peak_rss_mib)) / "
                            + fmt(half.peak_rss_mib)])
        }
        let runApart = context.map {
            " Measured apart from the other tables (`make bench ONLY=encoder-training`): "
                + $0.lines.map { $0.dropFirst(2) }.joined(separator: "; ") + "."
        } ?? ""
        report.section("Encoder training step: every method, batch 4 (the Feature-Style encoder 1 + 1, CLCAE 2)", table, note: note + runApart)
    }

    static let note = "One optimiser step of `stylegan train encoder` (`PSPTrainer.step`: a batch of 4 from a folder of "
        + "random 256-pixel PNGs, its data threads included) beside bench/encoder_training_reference.py, a plain-PyTorch "
        + "implementation of the coach's step on a fixed random batch: pSp's GradualStyleEncoder, the codes plus "
        + "latent_avg rendered by rosinality's generator with fresh noise and pooled to 256, L2 + 0.8 LPIPS-Alex + 0.1 "
        + "ArcFace IR-SE50 (face crop), backward, Adam over the encoder; e4e adds its latent discriminator's step (Adam, "
        + "softplus losses on mapping(z) against the codes; not an R1 step) and 0.1 x the encoder's non-saturating term; "
        + "ReStyle (restyle-psp, its BackboneEncoder) runs 5 refinement passes from the average image, each pass's loss "
        + "backpropagated, then one step; E2Style trains its first stage with its multi-layer ID (0.5) and U-Net parsing (1) "
        + "terms beside L2 and LPIPS; the Feature-Style encoder (fs) runs its trainer's update at its batch 1 (one synthetic "
        + "and one real image: two renders with the feature blended at 0.3, L2, LPIPS 0.2, multi-layer iResNet-50 ID "
        + "0.1, BiSeNet parsing at 512 pixels 0.1, feature 0.01; Adam with its betas, single-scale LPIPS as 64 pixels "
        + "cannot be halved twice for AlexNet); CLCAE runs its inversion coach's step at its batch 2 (three renders, each "
        + "with fresh noise: L2 1, LPIPS 0.2, ID 0.1 of each, feature 0.01, contrastive 0.1 through a frozen random "
        + "stage-1 pair; training-mode dropout on both sides). "
        + "Both use random weights; the loss networks are full width at every setting (they are the published ones). The "
        + "reference computes the ID features of x, y and y_hat as pSp's IDLoss does; ours computes those of x once when "
        + "the target is the input (inversion), and those of the targets without autograd. "
        + "After the warm-up steps the fastest of the timed steps counts: "
        + settings.map { "\($0.warmup) + \($0.repeats) for \($0.method.rawValue) at \($0.widths)" }.joined(separator: "; ")
        + ". The reference runs as users run it, and again with glibc set as ours (no mmap per block, no trimming: faster, "
        + "more resident memory), as in the training table. The bfloat16 column is ours with `--precision bfloat16`: "
        + "the frozen loss networks (LPIPS, ArcFace, iResNet, the parsers) compute in bfloat16 with their weights and "
        + "images channels-last, images in and features out in float32, the encoder, generator, losses and Adam in "
        + "float32 (a different numeric recipe, beside the same float32 reference figures). The official rows keep every "
        + "method's published encoder and loss networks on a 256-pixel generator of channel multiplier 2 (the "
        + "Feature-Style encoder and CLCAE publish 1024-pixel ones). Peak RSS: the whole process's. Goal (issue 15): at least 1.5x the reference's speed, no more memory. At 1/8 "
        + "width the full-width ArcFace and LPIPS networks, the same work on both sides, are most of the step."

    static func measure(command: String, _ arguments: [String], environment: [String: String]) throws -> Measurement {
        try Shell.result(Measurement.self, of: command, arguments, environment: environment, what: "encoder-training")
    }

    // MARK: our side, in a process of its own (`--encoder-training-run METHOD DIVISOR SIZE WARMUP REPEATS PRECISION`)

    static func runOurs(_ values: [String]) throws {
        guard values.count == 6, let method = EncoderMethod(rawValue: values[0]), methods.contains(method),
              let divisor = Int(values[1]), let size = Int(values[2]), let warmup = Int(values[3]),
              let repeats = Int(values[4]), repeats > 0, let precision = ComputePrecision(rawValue: values[5])
        else {
            throw TorchError("--encoder-training-run takes psp|e4e|restyle-psp|e2style|fs|clcae DIVISOR SIZE WARMUP REPEATS "
                + "float32|bfloat16, got \(values)")
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("stylegan-bench-encoder-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rng = try Torch.Generator(seed: 0)
        for i in 0..<8 {
            try Image(tensor: Tensor.rand([1, 3, 256, 256], generator: rng) * 2 - 1).write(to: "\(folder)/\(i).png")
        }
        // rosinality's plan at channel multiplier 2, every count / divisor, codes 512 / divisor, 8 mapping layers.
        let styleDim = divisor == 1 ? 512 : max(512 / divisor, 16)
        let channels = try ChannelPlan.rosinality(channelMultiplier: 2, divisor: divisor).channels(upTo: size)
        let generator = try StyleGAN2Generator(GeneratorConfig(size: size, styleDim: styleDim, nMLP: 8, channels: channels),
                                               generator: rng)
        let average = try withNoGrad { try generator.mapping(Tensor.randn([1000, styleDim], generator: rng)).mean([0]) }
        let path = folder + "/generator.pt"
        try TorchCheckpoint.save(.dict(["g_ema": CheckpointValue(try generator.stateDict()), "latent_avg": .tensor(average)]),
                                 to: path)
        let lpips = try LPIPS(network: .alex, backbone: PythonReference.fixtures + "/lpips-alex/alexnet_backbone.pt")
        if method == .featureStyle {
            try timeFeatureStyle(generator: path, images: folder, lpips: lpips, size: size, divisor: divisor,
                                 precision: precision, warmup: warmup, repeats: repeats)
            return
        }
        var config = EncoderTrainingConfig(method: method, dataset: folder, styleganWeights: path)
        (config.batchSize, config.optimName, config.learningRate, config.workers) = (4, .adam, 1e-4, 2)
        (config.l2Lambda, config.lpipsLambda, config.idLambda, config.startFromLatentAvg) = (1, 0.8, 0.1, true)
        (config.encoderWidthDivisor, config.encoderInputSize) = (divisor, 256)
        if method == .e4e { config.wDiscriminatorLambda = 0.1 }
        if method == .e2style { (config.idLambda, config.parseLambda) = (0.5, 1) }
        if method == .clcae {
            try prepareCLCAE(&config, folder: folder)
            let networks = try EncoderLossNetworks(lpips: lpips, identity: try IRSE50(), precision: precision)
            let trainer = try CLCAEInversionTrainer(config, networks: networks)
            var index = 1
            try report(warmup: warmup, repeats: repeats) {
                _ = try trainer.step(Iteration(index: index, total: 10_000_000))
                index += 1
            }
            return
        }
        config.nItersPerBatch = 5
        let networks = try EncoderLossNetworks(lpips: lpips, identity: try IRSE50(),
                                               parser: method == .e2style ? try UNetFaceParser() : nil, precision: precision)
        let trainer: PSPTrainer = switch method {
        case .restylePSP: try ReStyleTrainer(config, networks: networks)
        case .e2style: try E2StyleTrainer(config, networks: networks)
        default: try PSPTrainer(config, networks: networks)
        }
        // Steps whose index is not a multiple of d_reg_every (16): no R1 step, as the reference.
        var index = 1
        func step() throws {
            _ = try trainer.step(Iteration(index: index, total: 1_000_000))
            index += index % 16 == 15 ? 2 : 1
        }
        try report(warmup: warmup, repeats: repeats, step)
    }

    /// CLCAE's stage 2 as its published command runs it (batch 2; L2 1, LPIPS 0.2, ID 0.1, feature 0.01, contrastive
    /// 0.1), the encoders of `config`'s widths, a random stage-1 pair written to `folder`.
    static func prepareCLCAE(_ config: inout EncoderTrainingConfig, folder: String) throws {
        (config.trainInversion, config.useNorm, config.learnInW, config.batchSize) = (true, true, true, 2)
        (config.lpipsLambda, config.idLambda, config.featureMatchingLambda, config.contrastiveLambda) = (0.2, 0.1, 0.01, 0.1)
        let generator = try GeneratorCheckpoint.load(config.styleganWeights).generator
        let design = try config.clcaeDesign(for: generator)
        let opts = try JSONSerialization.data(withJSONObject: [CLCAE.Design.optionKey: try design.optionValue()])
        let (image, latent) = (folder + "/image.safetensors", folder + "/latent.safetensors")
        try Safetensors.write(CLCAEImageEncoder(design: design).stateDict().dictionary,
                              metadata: ["opts": String(decoding: opts, as: UTF8.self)], to: image)
        try Safetensors.write(CLCAELatentEncoder(width: design.width).stateDict().dictionary, to: latent)
        (config.contrastiveModelImage, config.contrastiveModelLatent) = (image, latent)
    }

    /// The Feature-Style trainer's step at its official batch (one synthetic and one real image), Adam with its betas,
    /// the feature blended at 0.3, single-scale LPIPS (64 pixels cannot be halved twice for AlexNet).
    static func timeFeatureStyle(generator: String, images: String, lpips: LPIPS, size: Int, divisor: Int,
                                 precision: ComputePrecision, warmup: Int, repeats: Int) throws
    {
        let config = FeatureStyleTrainingConfig(resolution: size, iterPerEpoch: 1_000_000, optimizer: .adam,
                                                multiscaleLpips: false, encWidthDivisor: divisor)
        let networks = try FeatureStyleLossNetworks(lpips: lpips, identity: .iresnet(try IResNet50()),
                                                    parser: try BiSeNet(config: .official), precision: precision)
        let trainer = try FeatureStyleTrainer(config, styleganWeights: generator, realImages: images, labelPath: nil,
                                              networks: networks, workers: 2)
        var index = 3000
        try report(warmup: warmup, repeats: repeats) {
            _ = try trainer.step(Iteration(index: index, total: 10_000_000))
            index += 1
        }
    }

    /// Runs `step` `warmup` times, then prints the fastest of `repeats` runs and the peak RSS as JSON.
    static func report(warmup: Int, repeats: Int, _ step: () throws -> Void) throws {
        for _ in 0..<warmup { try step() }
        let seconds = try fastest(runs: repeats) { try step() }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let json: [String: Any] = ["ms": seconds * 1e3, "peak_rss_mib": Double(usage.ru_maxrss) / 1024]
        print(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }
}
