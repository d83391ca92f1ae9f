import Foundation
import GeneratorTraining
import Images
import StyleGAN
import Torch
import Training

/// One iteration of rosinality's train.py at batch 16: ours (`StyleGAN2Trainer.step`) beside the PyTorch reference
/// (bench/stylegan2_training_reference.py). Each side runs each setting in a process of its own, so the peak memory
/// it reports is that setting's.
enum TrainingBenchmark {
    /// A width (rosinality's plan at channel multiplier 2, every count divided by `divisor`) and how many times each
    /// kind of iteration runs: `warmup` untimed, then the fastest of `repeats`.
    struct Setting {
        let size: Int
        let divisor: Int
        let warmup: Int
        let repeats: Int
        /// Ours only: the reference runs float32 (as users run it) and its figures for the same size and widths serve.
        var precision = ComputePrecision.float32

        var arguments: [String] { [size, divisor, warmup, repeats].map(String.init) }
        var widths: String {
            (divisor == 1 ? "full (channel multiplier 2)" : "channels / \(divisor)")
                + (precision == .float32 ? "" : ", ours in \(precision.rawValue)")
        }
    }

    /// Full width at 256 would take the reference about 10 minutes an iteration on a small CPU: not run.
    static let settings = [
        Setting(size: 64, divisor: 8, warmup: 1, repeats: 3),
        Setting(size: 256, divisor: 8, warmup: 1, repeats: 2),
        Setting(size: 64, divisor: 1, warmup: 0, repeats: 2),
        Setting(size: 64, divisor: 1, warmup: 0, repeats: 2, precision: .bfloat16),
    ]

    /// train.py's three kinds of iteration, by the index that selects them (R1 when i % 16 == 0, path length when
    /// i % 4 == 0), and how many of every 16 iterations are of that kind.
    static let kinds: [(index: Int, name: String, perSixteen: Double)] = [
        (1, "D and G steps", 12), (4, "+ path length (every 4th)", 3), (16, "+ R1 and path length (every 16th)", 1),
    ]

    /// What one side reports for one setting: the fastest ms of each kind (by index), the FLOPs of each kind (ours
    /// only) and the process's peak resident memory.
    struct Measurement: Decodable {
        struct Kind: Decodable {
            var ms: Double
            var gflop: Double?
            /// ms per phase (the reference's).
            var phases_ms: [String: Double]?
        }

        var iterations: [String: Kind]
        var peak_rss_mib: Double

        func ms(_ index: Int) -> Double { iterations["\(index)"]?.ms ?? .nan }
        func gflop(_ index: Int) -> Double { iterations["\(index)"]?.gflop ?? .nan }

        /// A figure over 16 iterations as train.py runs them.
        func amortised(_ value: (Kind) -> Double) -> Double {
            TrainingBenchmark.kinds.map { (iterations["\($0.index)"].map(value) ?? .nan) * $0.perSixteen }
                .reduce(0, +) / 16
        }
    }

    // MARK: the section

    /// The section; `context` (the machine lines) goes into its note when it is written apart from the others.
    static func section(into report: inout Report, context: Machine? = nil) throws {
        var table = [["size", "widths", "iteration", "ours (ms)", "reference (ms)", "vs reference",
                      "reference, allocator as ours (ms)", "vs reference, same allocator", "GFLOP", "ours GFLOP/s",
                      "reference GFLOP/s", "peak RSS ours / reference (MiB)"]]
        var references: [String: (Measurement, Measurement)] = [:]
        for setting in settings {
            let ours = try measure(command: CommandLine.arguments[0],
                                   ["--training-run"] + setting.arguments + [setting.precision.rawValue], environment: [:])
            let key = "\(setting.size) \(setting.divisor)"
            let (reference, referenceOurAllocator) = try references[key]
                ?? (python(setting, environment: [:]), python(setting, environment: PythonReference.ourAllocator))
            references[key] = (reference, referenceOurAllocator)
            var rows: [(name: String, ours: Double, reference: Double, alike: Double, gflop: Double)] = kinds.map {
                ($0.name, ours.ms($0.index), reference.ms($0.index), referenceOurAllocator.ms($0.index),
                 ours.gflop($0.index))
            }
            rows.append(("amortised: (12 + 3 + 1) / 16", ours.amortised(\.ms), reference.amortised(\.ms),
                         referenceOurAllocator.amortised(\.ms), ours.amortised { $0.gflop ?? .nan }))
            for (i, row) in rows.enumerated() {
                table.append([
                    "\(setting.size)", setting.widths, i == rows.count - 1 ? "**\(row.name)**" : row.name,
                    fmt(row.ours), fmt(row.reference), String(format: "%.2fx faster", row.reference / row.ours),
                    fmt(row.alike), String(format: "%.2fx faster", row.alike / row.ours), fmt(row.gflop),
                    fmt(row.gflop / row.ours * 1e3), fmt(row.gflop / row.reference * 1e3),
                    i == rows.count - 1 ? "\(fmt(ours.peak_rss_mib)) / \(fmt(reference.peak_rss_mib))" : "",
                ])
            }
        }
        let runApart = context.map {
            " Measured apart from the other tables (`make bench ONLY=training`): "
                + $0.lines.map { $0.dropFirst(2) }.joined(separator: "; ") + "."
        } ?? ""
        report.section("Training iteration: rosinality's train.py step, batch 16", table, note: note + runApart)
    }

    static var note: String {
        "One iteration of `train.py` (no augmentation): the D step (G forward without gradients, D on "
        + "fakes and reals, logistic loss, Adam), lazy R1 (double backward, every 16th), the G step on style-mixed codes "
        + "with fresh noise maps (non-saturating loss through D, Adam), lazy path length on half the batch (double "
        + "backward, every 4th), the EMA update; Adam's lr and betas raised to the lazy ratios. Ours: "
        + "`StyleGAN2Trainer.step` reading a folder of 32 random PNGs (its data threads included). Reference: "
        + "bench/stylegan2_training_reference.py, a plain-PyTorch implementation of rosinality's CPU path (model.py's "
        + "Generator and Discriminator, train.py's losses, regularisers and optimisers), checked against the "
        + "stylegan2-training64 parity fixture before timing, on a fixed random batch; run as users run it, and again "
        + "with glibc set as ours (see the synthesis table). After one untimed iteration, each kind runs untimed, then "
        + "timed, and the fastest timed run counts: "
        + settings.map { "\($0.warmup) + \($0.repeats) at \($0.size), \($0.widths)" }.joined(separator: "; ")
        + ". The amortised row weighs the kinds as train.py runs them (12 plain, 3 with path length, 1 with both, "
        + "in every 16). Full width at 256 is left out (about four times the work of full width at 64: "
        + "minutes per reference iteration). The bfloat16 rows are ours with `--precision bfloat16` (both networks' "
        + "convolutions and activations in bfloat16; parameters, Adam, EMA and losses float32) beside the same "
        + "float32 reference figures: a different numeric recipe, faster where the CPU has AVX512-BF16. FLOPs: the convolutions of `StyleGAN2Generator.synthesisFLOPs` (G) and "
        + "`Discriminator.flops` (D), 2 per multiply-add, at the batch in brackets; a backward counts twice the "
        + "forward it differentiates, once where only input gradients are taken: plain = G(16) + 2 x 3 D(16) "
        + "(D step) + 3 G(16) + 2 D(16) (G step, D's weights frozen); path length adds G(8) + 2 G(8) (gradient to "
        + "w+) + 6 G(8) (its backward); R1 adds D(16) + D(16) (gradient to the images) + 4 D(16). "
        + "Peak RSS: the whole process's (weights, optimiser state, activations, libraries), the reference's with "
        + "glibc's default settings. Goal (issue 13): at least 3x the reference's speed, no more memory. "
        + "`stylegan-bench --training-phases SIZE DIVISOR` prints where the time of an iteration goes, phase by phase, "
        + "beside the reference's."
    }

    /// Runs the reference on the wheel in .deps for one setting.
    static func python(_ setting: Setting, environment: [String: String]) throws -> Measurement {
        try measure(command: "python3",
                    ["bench/stylegan2_training_reference.py", "\(Runtime.threads)", PythonReference.fixtures]
                        + setting.arguments,
                    environment: environment.merging(["PYTHONPATH": ".deps/python"]) { $1 })
    }

    static func measure(command: String, _ arguments: [String], environment: [String: String]) throws -> Measurement {
        try Shell.result(Measurement.self, of: command, arguments, environment: environment, what: "training")
    }

    /// Our trainer at `size` and rosinality's widths / `divisor`, reading a new temporary folder of 32 random PNGs
    /// (returned, for the caller to remove).
    static func trainer(size: Int, divisor: Int, precision: ComputePrecision = .float32) throws
        -> (StyleGAN2Trainer, folder: String)
    {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("stylegan-bench-training-\(ProcessInfo.processInfo.processIdentifier)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let rng = try Torch.Generator(seed: 0)
        for i in 0..<32 {
            let image = try Tensor.rand([1, 3, size, size], generator: rng) * 2 - 1
            try Image(tensor: image).write(to: "\(folder)/\(String(format: "%02d", i)).png")
        }
        var config = StyleGAN2TrainingConfig(dataset: folder)
        config.size = size
        // rosinality's plan at channel multiplier 2, min(32768 / resolution, 512), divided by `divisor`.
        config.cbase = 32768 / divisor
        config.cmax = 512 / divisor
        config.precision = precision
        return (try StyleGAN2Trainer(config), folder)
    }

    // MARK: our side, in a process of its own (`--training-run SIZE DIVISOR WARMUP REPEATS PRECISION`)

    /// Times `StyleGAN2Trainer.step` for one setting and prints its `Measurement` as JSON.
    static func runOurs(_ values: [String]) throws {
        guard values.count == 5, let size = Int(values[0]), let divisor = Int(values[1]), let warmup = Int(values[2]),
              let repeats = Int(values[3]), repeats > 0, let precision = ComputePrecision(rawValue: values[4])
        else { throw TorchError("--training-run takes SIZE DIVISOR WARMUP REPEATS PRECISION, got \(values)") }
        let (trainer, folder) = try trainer(size: size, divisor: divisor, precision: precision)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = trainer.config
        let total = 1_000_000
        _ = try trainer.step(Iteration(index: 1, total: total))
        let g = Double(trainer.generator.synthesisFLOPs(batch: config.batch))
        let gPath = Double(trainer.generator.synthesisFLOPs(batch: max(1, config.batch / config.pathBatchShrink)))
        let d = Double(trainer.discriminator.flops(batch: config.batch))
        var iterations: [String: Any] = [:]
        for kind in kinds {
            let iteration = Iteration(index: kind.index, total: total)
            // See the note: a backward costs twice the forward it differentiates, once for input gradients alone.
            let flops = 4 * g + 8 * d + (iteration.every(config.gRegEvery) ? 9 * gPath : 0)
                + (iteration.every(config.dRegEvery) ? 6 * d : 0)
            for _ in 0..<warmup { _ = try trainer.step(iteration) }
            let seconds = try fastest(runs: repeats) { _ = try trainer.step(iteration) }
            iterations["\(kind.index)"] = ["ms": seconds * 1e3, "gflop": flops / 1e9]
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let json: [String: Any] = ["iterations": iterations, "peak_rss_mib": Double(usage.ru_maxrss) / 1024]
        print(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }
}
