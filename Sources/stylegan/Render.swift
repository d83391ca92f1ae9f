import ArgumentParser
import Checkpoints
import Foundation
import Images
import StyleGAN
import Torch

/// `stylegan render INVERSION --checkpoint G`: the image an inversion file describes.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate the image of an inversion file with the generator it was made with."
    )

    @Argument(help: "Inversion file (.safetensors).")
    var inversion: String

    @OptionGroup var checkpoint: CheckpointOption

    @Option(help: "Output image (default: the inversion's name with .png).")
    var out: String?

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        let output = out ?? (inversion as NSString).deletingPathExtension + ".png"
        try OutputFiles.check([(output, inversion)], inputs: [inversion, checkpoint.checkpoint])
        try runtime.start()
        let device = try self.device.resolve()
        let file = try InversionFile.read(inversion)
        let loaded = try checkpoint.load(device: device)
        let image: Tensor
        do {
            image = try loaded.render(file, generatorSHA256: checkpoint.sha256(), device: device)
        } catch let error as TorchError {
            throw CLIError("\(inversion): \(error.message)")
        }
        try Image(tensor: image).write(to: output)
        print("wrote \(output)")
    }
}
