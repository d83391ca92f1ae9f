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

    @Option(help: "The generator checkpoint the inversion was made with.")
    var checkpoint: String

    @Option(help: "Output image (default: the inversion's name with .png).")
    var out: String?

    @Option(help: "cpu, cuda or cuda:N.")
    var device: DeviceChoice = DeviceChoice(.cpu)

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try runtime.start()
        let file = try InversionFile.read(inversion)
        let loaded = try GeneratorCheckpoint.load(checkpoint, device: device.value)
        let image: Tensor
        do {
            image = try loaded.render(file, generatorSHA256: SHA256.hex(ofFile: checkpoint), device: device.value)
        } catch let error as TorchError {
            throw CLIError("\(inversion): \(error.message)")
        }
        let output = out ?? (inversion as NSString).deletingPathExtension + ".png"
        try Image(tensor: image).write(to: output)
        print("wrote \(output)")
    }
}
