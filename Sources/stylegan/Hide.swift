import ArgumentParser
import Foundation
import Images
import Inversion
import StyleGAN
import Torch

/// `stylegan hide INVERSION --cover PHOTO --out STEGO.png`: E2Style's secure deep hiding.
struct Hide: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hide an inverted image in the last bits of a cover photo (E2Style's secure deep hiding).",
        discussion: """
            The inversion's w+ code, each value rounded, travels as 9 bits per value (sign, 8-bit magnitude) in the \
            cover's least significant bits through a syndrome-trellis code (height 10), so few of them change. \
            `stylegan reveal STEGO --checkpoint G` renders it back with the same generator. Only w+ is carried: an \
            inversion's F-space feature, noise maps or tuned weights are not. The cover must be an 8-bit PNG or JPEG \
            with at least 9 samples per code value (a 1024 generator's 18 x 512 codes take 82,944).
            """
    )

    @Argument(help: "Inversion file (.safetensors) of the secret image.")
    var inversion: String

    @Option(help: "Cover photo (8-bit PNG or JPEG).")
    var cover: String

    @Option(help: "Stego image to write (PNG: lossless, so the hidden bits survive).")
    var out: String

    func validate() throws {
        guard out.lowercased().hasSuffix(".png") else {
            throw ValidationError("--out \(out): the stego image must be a PNG (lossy formats destroy the hidden bits)")
        }
    }

    func run() throws {
        try OutputFiles.check([(out, inversion)], inputs: [inversion, cover])
        let file = try InversionFile.read(inversion)
        let photo = try Image.read(path: cover)
        let stego: Image
        do {
            stego = try LatentHiding.hide(file.wPlus, in: photo)
        } catch let error as InversionError {
            throw CLIError("\(cover): \(error.description)")
        }
        try stego.write(to: out)
        let changed = zip(photo.pixels, stego.pixels).filter { $0 != $1 }.count
        print("wrote \(out): \(file.wPlus.shape.reduce(1, *) * LatentHiding.bitsPerValue) bits in \(photo.pixels.count) samples, "
            + "\(changed) changed by 1")
    }
}

/// `stylegan reveal STEGO --checkpoint G --out SECRET.png`: the image a stego image hides.
struct Reveal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recover the image hidden by `stylegan hide`: extract its code and render it with the generator."
    )

    @Argument(help: "Stego image (PNG) written by `stylegan hide`.")
    var stego: String

    @OptionGroup var checkpoint: CheckpointOption

    @Option(help: "Recovered image to write.")
    var out: String

    @Option(help: "Also write the recovered code as an inversion file.")
    var latent: String?

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
        try OutputFiles.check([(out, stego)] + (latent.map { [($0, stego)] } ?? []), inputs: [stego, checkpoint.checkpoint])
        try runtime.start()
        let device = try self.device.resolve()
        let loaded = try checkpoint.load(device: device)
        let g = loaded.generator
        let wPlus: Tensor
        do {
            wPlus = try LatentHiding.reveal(Image.read(path: stego), shape: [g.nLatent, g.config.styleDim])
        } catch let error as InversionError {
            throw CLIError("\(stego): \(error.description)")
        }
        let image = try withNoGrad { try g.synthesis(wPlus.unsqueeze(0).to(device: device), noise: .const) }
        try Image(tensor: image.clamp(min: -1, max: 1).to(device: .cpu)).write(to: out)
        if let latent {
            let metadata = InversionFile.Metadata(method: "hidden", generatorSHA256: try checkpoint.sha256(),
                                                  imageSize: g.config.size, seconds: 0)
            try InversionFile(wPlus: wPlus, metadata: metadata).write(to: latent)
        }
        print("wrote \(out)" + (latent.map { " and \($0)" } ?? ""))
    }
}
