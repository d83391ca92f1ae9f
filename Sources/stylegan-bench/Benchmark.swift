import Foundation
import Torch

/// `make bench`: times the toolkit beside the PyTorch reference in the same run and writes docs/benchmarks.md.
@main
struct Benchmark {
    static func main() throws {
        let arguments = CommandLine.arguments
        let outPath = arguments.firstIndex(of: "--out").map { arguments[$0 + 1] } ?? "docs/benchmarks.md"
        try Runtime.start()
        if let i = arguments.firstIndex(of: "--training-run") {
            // One setting of our training iteration, in a process of its own (run by the training section).
            try TrainingBenchmark.runOurs(Array(arguments.dropFirst(i + 1).prefix(5)))
            return
        }
        if let i = arguments.firstIndex(of: "--encoder-training-run") {
            try EncoderTrainingBenchmark.runOurs(Array(arguments.dropFirst(i + 1).prefix(6)))
            return
        }
        if let i = arguments.firstIndex(of: "--training-phases") {
            try TrainingPhases.print(Array(arguments.dropFirst(i + 1).prefix(3)))
            return
        }
        let machine = Machine.describe()
        var report = Report(machine: machine)
        if let i = arguments.firstIndex(of: "--only") {
            // One section, merged into the existing file in place of its previous figures.
            guard i + 1 < arguments.count, ["training", "encoder-training", "real-faces", "web"].contains(arguments[i + 1]) else {
                throw TorchError("--only takes a section name: training, encoder-training, real-faces or web")
            }
            switch arguments[i + 1] {
            case "training": try TrainingBenchmark.section(into: &report, context: machine)
            case "encoder-training": try EncoderTrainingBenchmark.section(into: &report, context: machine)
            case "web": try WebEditorBenchmark.section(into: &report)
            default: try RealFaceBenchmark.section(into: &report)
            }
            try report.merge(into: outPath)
            print(report.text)
            print("merged into \(outPath)")
            return
        }
        if let i = arguments.firstIndex(of: "--layers") {
            // Per-layer synthesis times: --layers SIZE BATCH DTYPE (float32 or bfloat16).
            let values = Array(arguments.dropFirst(i + 1).prefix(3))
            guard values.count == 3, let size = Int(values[0]), let batch = Int(values[1]),
                  let dtype = ["float32": DType.float32, "bfloat16": .bfloat16][values[2]]
            else { throw TorchError("--layers takes SIZE BATCH DTYPE (float32 or bfloat16), got \(values)") }
            try LayerProfile.print(size: size, batch: batch, dtype: dtype)
            return
        }
        if arguments.contains("--generator-only") {
            // The synthesis table alone, printed, for work on the generator's kernels.
            let references = arguments.contains("--no-reference") ? ([:], [:]) : try PythonReference.generators()
            try generatorSection(into: &report, references: references)
            print(report.text)
            return
        }

        let addIterations = 100_000
        let convIterations = 5
        let reference = try PythonReference.run(threads: Runtime.threads, addIterations: addIterations,
                                                convIterations: convIterations)
        let generatorReferences = try PythonReference.generators()

        let swiftAdd = try OpOverhead.addNanoseconds(iterations: addIterations)
        let native = try Runtime.nativeAddNanoseconds(iterations: addIterations)
        let swiftOverhead = swiftAdd - native
        let pythonOverhead = reference.addNanoseconds - native
        report.section("Per-op overhead: 100,000 adds of 1x1 tensors", [
            ["path", "ns per op", "overhead over C++ (ns)", "overhead vs Python"],
            ["C++ at::add (libtorch alone)", fmt(native), "0", "-"],
            ["Swift (Tensor +)", fmt(swiftAdd), fmt(swiftOverhead),
             String(format: "%.2fx", swiftOverhead / pythonOverhead)],
            ["Python (torch +)", fmt(reference.addNanoseconds), fmt(pythonOverhead), "1.00x"],
        ], note: "Overhead is the time per op above libtorch's own cost (the C++ row). "
            + "Target: Swift's overhead at most half of Python's.")

        let flops = ConvWorkload.flopsForwardBackward
        var rows = [["dtype", "path", "ms per fwd+bwd", "GFLOP/s"]]
        for (dtype, pythonSeconds) in [(DType.float32, reference.convSeconds), (.bfloat16, reference.convBF16Seconds)] {
            let seconds = try ConvWorkload.forwardBackwardSeconds(dtype: dtype, iterations: convIterations)
            rows.append([dtype.description, "Swift", fmt(seconds * 1e3), fmt(flops / seconds / 1e9)])
            rows.append([dtype.description, "Python", fmt(pythonSeconds * 1e3), fmt(flops / pythonSeconds / 1e9)])
        }
        report.section("conv2d 3x3, 64->64, input 8x64x64x64, forward + backward", rows,
                       note: "FLOPs counted: forward 2·N·Cout·H·W·Cin·9 = \(fmt(flops / 3 / 1e9)) GFLOP; "
                           + "backward (input and weight gradients) twice that. Fastest of \(convIterations) steps; "
                           + "Python runs with the allocator settings of our process (see the synthesis table).")
        try generatorSection(into: &report, references: generatorReferences)
        report.section("Perception networks, forward, batch 4, random weights", try PerceptionBenchmark.run(),
                       note: "LPIPS FLOPs: both images through the backbone. InceptionV3: 11.42 GFLOP per image at 299 "
                           + "(convolutions). IR-SE50 FLOPs are not counted.")
        let step = try MethodBenchmark.projectorStep()
        let tuning = try MethodBenchmark.tuningSteps()
        report.section("Inversion by optimisation at 256 (full-size generator, channel multiplier 2)", [
            ["method", "default steps", "s / step", "s / image (steps x s / step)"],
            ["projector (W+, MSE; LPIPS-VGG adds its forward/backward)", "1000", fmt(step), fmt(step * 1000)],
            ["PTI tuning (MSE; + LPIPS AlexNet in the reference loss), after a 450-step W pivot", "350",
             fmt(tuning.pti), fmt(tuning.pti * 350 + step * 450)],
            ["GANI (faces preset, MSE only; ID and parsing terms add their networks)", "300", fmt(tuning.gani),
             fmt(tuning.gani * 300)],
        ], note: "Step times measured over 5 (projector) and 3 (PTI, GANI) steps after warm-up; per-image seconds are "
            + "steps x step time (PTI adds its pivot projection). The reference projector cannot run here (its LPIPS "
            + "package downloads weights at start-up).")
        report.section("Encoders, 256 input, 1024 config-f generator, random weights", try MethodBenchmark.encoders(),
                       note: "Encoder time includes ReStyle's per-iteration rendering (its method needs it); the last "
                           + "column adds the final 1024 synthesis. The papers report times on GPUs; their texts "
                           + "were not available here to put their figures beside these.")
        try RealFaceBenchmark.section(into: &report)
        try WebEditorBenchmark.section(into: &report)
        try TrainingBenchmark.section(into: &report)
        try EncoderTrainingBenchmark.section(into: &report)
        try report.write(to: outPath)
        print(report.text)
        print("wrote \(outPath)")
    }
}

/// The StyleGAN2 synthesis table: ours in float32 and bfloat16 beside the PyTorch reference path.
/// (default, allocator as ours) reference figures.
func generatorSection(into report: inout Report, references: ([String: Double], [String: Double])) throws {
    let rows = try GeneratorBenchmark.run(sizes: [(256, [1, 8]), (1024, [1, 8])]) { $0 == 256 ? 5 : 3 }
    var table = [["size", "batch", "dtype", "ms / image", "GFLOP/s", "vs PyTorch reference",
                  "vs reference, same allocator", "vs our float32", "PSNR vs float32"]]
    func speedup(_ reference: Double?, _ ours: Double) -> String {
        reference.map { String(format: "%.2fx faster", $0 / ours) } ?? "-"
    }
    for row in rows {
        let key = "\(row.size)x\(row.batch)"
        let f32 = rows.first { $0.size == row.size && $0.batch == row.batch && $0.dtype == .float32 }!
        let isF32 = row.dtype == .float32
        table.append([
            "\(row.size)", "\(row.batch)", row.dtype.description, fmt(row.msPerImage), fmt(row.gflops),
            isF32 ? speedup(references.0[key], row.msPerImage) : "-",
            isF32 ? speedup(references.1[key], row.msPerImage) : "-",
            isF32 ? "1.00x" : String(format: "%.2fx faster", f32.msPerImage / row.msPerImage),
            row.psnr.map { String(format: "%.1f dB", $0) } ?? "-",
        ])
    }
    for (name, reference) in [("float32 (PyTorch)", references.0), ("float32 (PyTorch, allocator as ours)", references.1)] {
        for key in reference.keys.sorted() {
            let parts = key.split(separator: "x").map(String.init)
            table.append([parts[0], parts[1], name, fmt(reference[key]!), "-", "-", "-", "-", "-"])
        }
    }
    report.section("StyleGAN2 synthesis, random weights (256: channel multiplier 2; 1024: config-f)", table,
                   note: "Ours: inference mode, NHWC activations, per layer either per-sample modulated weights or "
                       + "style on the input and demodulation on the output (whichever touches fewer elements), blur "
                       + "and RGB upsampling as depthwise (transposed) convolutions, bias, gain and noise folded into "
                       + "the convolution or applied in place, batches chunked so activations stay under 256 MiB. "
                       + "bfloat16 is mixed precision: convolutions and activations in bfloat16; styles, "
                       + "demodulation and the RGB path in float32. PyTorch reference: bench/stylegan2_reference.py, "
                       + "a plain-PyTorch implementation of rosinality's CPU path (upfirdn2d_native, grouped "
                       + "modulated conv), checked against the tiny64 parity fixture before timing; run as users run "
                       + "it, and again with glibc set as `Runtime.start` sets ours (MALLOC_MMAP_MAX_=0, "
                       + "MALLOC_TRIM_THRESHOLD_), which removes its page-fault time and leaves the kernels' "
                       + "difference. Times are the fastest of several runs (256: 5, 1024: 3; reference 3 / 2 / 1). "
                       + "GFLOP/s counts the modulated convolutions and ToRGB layers (2 per multiply-add). "
                       + "Without AMX, a bfloat16 dot-product instruction does twice the multiply-adds of a float32 "
                       + "FMA, so 2x is the ceiling of the convolutions themselves (see the conv2d table) and the "
                       + "float32 parts keep the whole below it. "
                       + "Targets: float32 at least 1.5x the reference; bfloat16 at least 2x our float32 with PSNR >= 40 dB.")
}

func fmt(_ value: Double) -> String { String(format: value >= 100 ? "%.0f" : "%.2f", value) }

/// Swift's per-call cost: a tight loop of 1x1 adds through the full Tensor API.
enum OpOverhead {
    static func addNanoseconds(iterations: Int) throws -> Double {
        let a = try Tensor.ones([1, 1])
        let b = try Tensor.ones([1, 1])
        for _ in 0..<1000 { _ = try a + b }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { _ = try a + b }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
    }
}

/// A StyleGAN-sized convolution, forward and backward.
enum ConvWorkload {
    static let n = 8, channels = 64, size = 64
    static var flopsForwardBackward: Double { 3 * 2 * Double(n * channels * size * size * channels * 9) }

    static func forwardBackwardSeconds(dtype: DType, iterations: Int) throws -> Double {
        let g = try Generator(seed: 0)
        let x = try Tensor.randn([n, channels, size, size], generator: g).to(dtype: dtype).requiresGrad(true)
        let w = try Tensor.randn([channels, channels, 3, 3], generator: g).to(dtype: dtype).requiresGrad(true)
        func step() throws {
            try F.conv2d(x, w, padding: (1, 1)).sum().backward()
        }
        for _ in 0..<2 { try step() }
        return try fastest(runs: iterations, step)  // as the reference takes it
    }
}

/// Seconds of the fastest of `runs` calls of `body` (callers warm up first): other work on the machine only ever
/// adds time.
func fastest(runs: Int, _ body: () throws -> Void) throws -> Double {
    var best = Double.infinity
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

/// Runs bench/reference.py on the wheel in .deps.
struct PythonReference {
    var addNanoseconds: Double
    var convSeconds: Double
    var convBF16Seconds: Double

    /// glibc set as `Runtime.start` sets our process (no mmap per block, no trimming), for runs that should
    /// compare kernels rather than page faults.
    static let ourAllocator = ["MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "2147483647"]

    /// ms per image of the reference generator by "size x batch", with the default allocator and with ours.
    static func generators() throws -> ([String: Double], [String: Double]) {
        (try generator(threads: Runtime.threads, environment: [:]),
         try generator(threads: Runtime.threads, environment: ourAllocator))
    }

    /// The parity fixtures the references check themselves against: $STYLEGAN_FIXTURES, else ../shared/fixtures.
    static var fixtures: String {
        ProcessInfo.processInfo.environment["STYLEGAN_FIXTURES"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures").path
    }

    static func generator(threads: Int, environment: [String: String]) throws -> [String: Double] {
        let output = try Shell.run("python3", ["bench/stylegan2_reference.py", "\(threads)", fixtures, "3"],
                                   environment: environment.merging(["PYTHONPATH": ".deps/python"]) { $1 })
        guard let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let times = json["ms_per_image"] as? [String: Double]
        else { throw TorchError("bench/stylegan2_reference.py printed no result: \(output)") }
        return times
    }

    static func run(threads: Int, addIterations: Int, convIterations: Int) throws -> PythonReference {
        // With the allocator settings our process runs with, so the conv rows compare kernels and bindings.
        let output = try Shell.run("python3", ["bench/reference.py", "\(threads)", "\(addIterations)", "\(convIterations)"],
                                   environment: ourAllocator.merging(["PYTHONPATH": ".deps/python"]) { $1 })
        guard let data = output.data(using: .utf8),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let add = json["add_ns"] as? Double, let conv = json["conv_s"] as? Double,
              let bf16 = json["conv_bf16_s"] as? Double
        else { throw TorchError("bench/reference.py printed no result: \(output)") }
        return PythonReference(addNanoseconds: add, convSeconds: conv, convBF16Seconds: bf16)
    }
}

/// Date, CPU, commit and threads: the context every figure needs.
struct Machine {
    var lines: [String]

    static func describe() -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last!.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let head = (try? Shell.run("git", ["rev-parse", "--short", "HEAD"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        // Figures measured on edits not yet committed say so (the report itself does not count).
        let edits = (try? Shell.run("git", ["status", "--porcelain", "--untracked-files=no", "--", ".",
                                            ":(exclude)docs/benchmarks.md"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let commit = edits.isEmpty ? head : head + " with uncommitted changes"
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return Machine(lines: [
            "- date: \(formatter.string(from: Date()))",
            "- commit: \(commit)",
            "- CPU: \(model), \(ProcessInfo.processInfo.activeProcessorCount) cores; libtorch kernels: "
                + ((try? Runtime.cpuCapability()) ?? "unknown")
                + "; AMX: \(Runtime.cpuHas("amx_bf16") ? "yes" : "no")",
            "- torch \(Runtime.builtForVersion), \(Runtime.threads) threads, release build",
            "- load average when the run started: "
                + ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
                    .joined(separator: " ") ?? "unknown") + " (other work on the machine slows every figure)",
        ])
    }
}

/// The markdown file, written whole through a temporary file, or one section merged into it (`--only`).
struct Report {
    var text: String
    /// Each section's title and its markdown from its "## " heading on.
    var sections: [(title: String, text: String)] = []

    init(machine: Machine) {
        text = "# Benchmarks\n\nWritten by `make bench`; figures are from one run on the machine below. "
            + "Benchmarks are not tests.\n\n" + machine.lines.joined(separator: "\n") + "\n"
    }

    mutating func section(_ title: String, _ rows: [[String]], note: String) {
        var section = "\n## \(title)\n\n"
        section += "| " + rows[0].joined(separator: " | ") + " |\n"
        section += "|" + String(repeating: "---|", count: rows[0].count) + "\n"
        for row in rows.dropFirst() { section += "| " + row.joined(separator: " | ") + " |\n" }
        section += "\n\(note)\n"
        text += section
        sections.append((title, section))
    }

    /// Writes this report's sections into the file at `path` (a new report if there is none): each replaces the
    /// section with its title, up to the next heading, or is appended; the rest of the file stays as it was.
    func merge(into path: String) throws {
        var merged = (try? String(contentsOfFile: path, encoding: .utf8)) ?? text
        for (title, section) in sections {
            if let start = merged.range(of: "\n## \(title)\n") {
                let end = merged.range(of: "\n## ", range: start.upperBound..<merged.endIndex)?.lowerBound ?? merged.endIndex
                merged.replaceSubrange(start.lowerBound..<end, with: section)
            } else {
                merged += section
            }
        }
        try Report(text: merged).write(to: path)
    }

    private init(text: String) { self.text = text }

    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary.path, url.path) == 0 else { throw TorchError("cannot write \(path)") }
    }
}

enum Shell {
    static func run(_ command: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TorchError("\(command) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a measuring process and decodes the one JSON object it prints; `what` names the result in the error.
    static func result<T: Decodable>(_ type: T.Type, of command: String, _ arguments: [String],
                                     environment: [String: String], what: String) throws -> T
    {
        let output = try run(command, arguments, environment: environment)
        do {
            return try JSONDecoder().decode(type, from: Foundation.Data(output.utf8))
        } catch {
            throw TorchError("\(command) \(arguments.joined(separator: " ")) printed no \(what) result: \(output)")
        }
    }
}
