import ArgumentParser
import Checkpoints
import Foundation
import Images
import StyleGAN
import Torch

/// `stylegan generate`: images from seeds or a latent file.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render images from seeds or latent codes.",
        discussion: """
            Writes one PNG per code (seedNNNN.png or latentNNNN.png), latents.npy with the codes used \
            ([N, D] for W, [N, L, D] for W+) and, with --save-raw, the float32 NCHW output before clamping.
            """
    )

    @Option(help: "Generator checkpoint (.pt, .pkl, .safetensors).")
    var checkpoint: String

    @Option(help: "Seeds, e.g. 0-7,12.")
    var seeds: SeedList?

    @Option(help: "Latent codes (.npy): [N, D] (z or w, see --latent-space) or [N, L, D] (W+).")
    var latent: String?

    @Option(help: "Space of [N, D] codes in --latent: z or w.")
    var latentSpace: LatentSpace = .w

    @Option(help: "Truncation psi toward the latent average.")
    var truncation: Double = 1

    @Option(help: "Noise: const (the checkpoint's maps), random (seeded per image), zero.")
    var noise: NoiseChoice = .const

    @Option(help: "Output folder.")
    var outdir: String = "out"

    @Option(help: "Images per forward pass.")
    var batch: Int = 8

    @Option(help: "Also write the float32 [N, 3, H, W] output before clamping to this .npy file.")
    var saveRaw: String?

    @Option(help: "cpu, cuda or cuda:N.")
    var device: DeviceChoice = DeviceChoice(.cpu)

    @Option(help: "float32, or bfloat16: convolutions and activations in bfloat16, styles and the RGB path in float32 (faster on CPUs with AVX512-BF16 or AMX).")
    var precision: Precision = .float32

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard (seeds == nil) != (latent == nil) else { throw ValidationError("give either --seeds or --latent") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard truncation.isFinite, truncation >= 0 else {
            throw ValidationError("--truncation must be a finite number >= 0, got \(truncation)")
        }
        if let saveRaw, !saveRaw.lowercased().hasSuffix(".npy") {
            throw ValidationError("--save-raw must name a .npy file, got \(saveRaw)")
        }
    }

    func run() throws {
        try runtime.start()
        let loaded = try GeneratorCheckpoint.load(checkpoint, device: device.value)
        let codes: Tensor
        let space: LatentSpace
        let names: [String]
        if let seeds {
            codes = try loaded.generator.z(seeds: seeds.values)
            space = .z
            names = seeds.values.map { String(format: "seed%04d", $0) }
        } else {
            let path = latent!
            codes = try NumPy.readArray(path)
            space = latentSpace
            guard codes.rank >= 1 else { throw CLIError("\(path): latents must be [N, D] or [N, L, D]") }
            names = (0..<codes.size(0)).map { String(format: "latent%04d", $0) }
        }
        let progress = Progress(label: "generate")
        let rendered: LoadedGenerator.Rendered
        do {
            rendered = try loaded.render(codes, space: space, truncation: truncation, noise: noise.mode, batch: batch,
                                         device: device.value, compute: precision.dtype, progress: progress.update)
        } catch let error as TorchError where latent != nil {
            throw CLIError("\(latent!): \(error.message)")
        }
        try FileManager.default.createDirectory(atPath: outdir, withIntermediateDirectories: true)
        for (image, name) in zip(try Image.images(from: rendered.images), names) {
            try image.write(to: "\(outdir)/\(name).png")
        }
        try NumPy.writeArray(rendered.latents, to: "\(outdir)/latents.npy")
        if let saveRaw { try NumPy.writeArray(rendered.images, to: saveRaw) }
        print("wrote \(names.count) images, latents.npy to \(outdir)" + (saveRaw.map { ", raw output to \($0)" } ?? ""))
    }
}

/// "0-7,12" -> [0, 1, ..., 7, 12].
struct SeedList: ExpressibleByArgument {
    let values: [Int]

    init?(argument: String) {
        var values: [Int] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let v = Int(bounds[0]), v >= 0 {
                values.append(v)
            } else if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a >= 0, a <= b, b - a < 1_000_000 {
                values.append(contentsOf: a...b)
            } else {
                return nil
            }
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }
}

enum NoiseChoice: String, ExpressibleByArgument, CaseIterable {
    case const, random, zero
    var mode: NoiseMode { NoiseMode(rawValue, seed: 0)! }
}

extension LatentSpace: ExpressibleByArgument {}

/// The dtype synthesis computes in.
enum Precision: String, ExpressibleByArgument, CaseIterable {
    case float32, bfloat16
    var dtype: DType { self == .float32 ? .float32 : .bfloat16 }
}

struct DeviceChoice: ExpressibleByArgument {
    let value: Device
    init(_ value: Device) { self.value = value }
    init?(argument: String) {
        guard let d = Device(argument) else { return nil }
        value = d
    }
    var defaultValueDescription: String { value.description }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
struct Progress {
    let label: String
    let enabled = isatty(STDERR_FILENO) != 0

    func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
