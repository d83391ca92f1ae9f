import ArgumentParser
import Encoders
import Foundation
import Images
import Torch

/// `stylegan restore SOURCE... --encoder FILE`: pSp's translation models at inference (super-resolution, restoration,
/// sketch and segmentation maps to faces).
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate inputs with a pSp model: low-resolution or degraded photos, sketches, segmentation maps.",
        discussion: """
            --encoder is a pSp container (official, or written by `stylegan train encoder`) whose decoder renders the \
            result. Images and sketches are resized to the encoder's input size; segmentation maps (8-bit gray \
            images of class ids, the model's label_nc) must already be that size, since interpolating class ids \
            would invent classes. Writes OUTDIR/NAME.png for each SOURCE.
            """
    )

    @Argument(help: "Inputs (PNG or JPEG).")
    var sources: [String]

    @Option(help: "pSp container (.pt or .safetensors).")
    var encoder: String

    @Option(help: "Output folder.")
    var outdir: OutputFolder = "restored"

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let outputs = sources.map { outdir.file((($0 as NSString).lastPathComponent as NSString).deletingPathExtension + ".png") }
        try OutputFiles.check(Array(zip(outputs, sources)).map { (file: $0.0, source: $0.1) }, inputs: sources + [encoder])
        try outdir.check()
        try runtime.start()
        let translator = try PSPTranslator(path: encoder, device: try device.resolve())
        let side = translator.inputSize
        try outdir.prepare()
        for (source, output) in zip(sources, outputs) {
            var image = try Image.read(path: source).tensor()
            if image.size(2) != side || image.size(3) != side {
                guard translator.labelNC <= 1 else {
                    throw CLIError("\(source): a \(image.size(3))x\(image.size(2)) label map; this model reads \(side)x\(side) "
                        + "maps (resize it with nearest-neighbour sampling)")
                }
                image = try F.interpolate(image, size: (side, side), mode: .bilinear, alignCorners: false, antialias: true)
            }
            let result: Tensor
            do {
                result = try translator.translate(image).images.clamp(min: -1, max: 1)
            } catch let error as TorchError {
                throw CLIError("\(source): \(error)")
            }
            try Image(tensor: result.to(device: .cpu)).write(to: output)
            print("\(source) -> \(output)")
        }
    }
}
