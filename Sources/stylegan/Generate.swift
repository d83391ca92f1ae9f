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
            Writes one PNG per code (seedNNNN.png, all digits past 9999, or latentNNNN.png), latents.npy with the \
            codes used ([N, D] for W, [N, L, D] for W+) and, with --save-raw, the float32 NCHW output before \
            clamping. Nothing is written when a name would repeat or replace an input.
            """
    )

    @OptionGroup var checkpoint: CheckpointOption

    @Option(parsing: .unconditional, help: "Seeds, e.g. 0-7,12 (whole numbers from 0 to 2^32-1).", transform: SeedList.parse)
    var seeds: SeedList?

    @Option(help: "Latent codes (.npy): [N, D] (z or w, see --latent-space) or [N, L, D] (W+).")
    var latent: String?

    @Option(help: "Space of [N, D] codes in --latent: z or w.")
    var latentSpace: LatentSpace = .w

    @Option(parsing: .unconditional, help: "Truncation psi toward the latent average (0: the average, 1: none).")
    var truncation: Double = 1

    @Option(help: "Noise: const (the checkpoint's maps), random (seeded per image), zero.")
    var noise: NoiseChoice = .const

    @Option(help: "Output folder.")
    var outdir: OutputFolder = "out"

    @Option(parsing: .unconditional, help: "Images per forward pass.")
    var batch: Int = 8

    @Option(help: "Also write the float32 [N, 3, H, W] output before clamping to this .npy file.")
    var saveRaw: String?

    @OptionGroup var device: DeviceOptions

    @Option(help: "float32, or bfloat16: convolutions and activations in bfloat16, styles and the RGB path in float32 (faster on CPUs with AVX512-BF16 or AMX).")
    var precision: ComputePrecision = .float32

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard (seeds == nil) != (latent == nil) else { throw ValidationError("give either --seeds or --latent") }
        try Bounds.check("--batch", batch, 1...1024)
        try Bounds.check("--truncation", truncation, 0...10)
        if let saveRaw, !saveRaw.lowercased().hasSuffix(".npy") {
            throw ValidationError("--save-raw must name a .npy file, got \(saveRaw)")
        }
        if let values = seeds?.values {
            for seed in values { try Seed.check("--seeds", seed) }
            var seen = Set<Int>()
            if let repeated = values.first(where: { !seen.insert($0).inserted }) {
                throw ValidationError("--seeds gives seed \(repeated) twice")
            }
        }
    }

    /// "seed0042" below 10,000, every digit beyond: names never wrap or repeat.
    static func name(_ prefix: String, _ index: Int) -> String {
        let digits = String(index)
        return prefix + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    func run() throws {
        try runtime.start()
        let device = try self.device.resolve()
        let codes: Tensor?
        let names: [(name: String, source: String)]
        if let seeds {
            codes = nil
            names = seeds.values.map { (Generate.name("seed", $0), "seed \($0)") }
        } else {
            let path = latent!
            let read = try NumPy.readArray(path)
            guard read.rank >= 1 else { throw CLIError("\(path): latents must be [N, D] or [N, L, D], got a scalar") }
            codes = read
            names = (0..<read.size(0)).map { (Generate.name("latent", $0), "\(path) row \($0)") }
        }
        var outputs = names.map { (file: outdir.file($0.name + ".png"), source: $0.source) }
        outputs.append((outdir.file("latents.npy"), "latents.npy"))
        if let saveRaw { outputs.append((saveRaw, "--save-raw")) }
        try OutputFiles.check(outputs, inputs: [checkpoint.checkpoint] + (latent.map { [$0] } ?? []))
        try outdir.check()

        let loaded = try checkpoint.load(device: device)
        let space: LatentSpace = seeds == nil ? latentSpace : .z
        let input = try codes ?? loaded.generator.z(seeds: seeds!.values)
        let rendered: LoadedGenerator.Rendered
        do {
            rendered = try loaded.render(input, space: space, truncation: truncation, noise: noise.mode, batch: batch,
                                         device: device, compute: precision.dtype,
                                         progress: Progress(label: "generate").update)
        } catch let error as TorchError where latent != nil {
            throw CLIError("\(latent!): \(error.message)")
        }
        try outdir.prepare()
        for (image, output) in zip(try Image.images(from: rendered.images), outputs) {
            try image.write(to: output.file)
        }
        try NumPy.writeArray(rendered.latents, to: outdir.file("latents.npy"))
        if let saveRaw { try NumPy.writeArray(rendered.images, to: saveRaw) }
        print("wrote \(names.count) images, latents.npy to \(outdir)" + (saveRaw.map { ", raw output to \($0)" } ?? ""))
    }
}

extension LatentSpace: ExpressibleByArgument {}
