import Checkpoints
import StyleGAN
import Torch

extension EncoderMethodLoader {
    /// pSp and e4e containers as released: `state_dict` with `encoder.*` and `decoder.*`, `latent_avg`, and `opts`
    /// (`encoder_type`, `output_size` or e4e's `stylegan_size`, `input_nc`, `start_from_latent_avg`).
    public static let pSpFamily = EncoderMethodLoader(methods: ["psp", "e4e"], identify: PSPCheckpoint.identify,
                                                      load: PSPCheckpoint.load)
}

enum PSPCheckpoint {
    static let pSpTypes = ["GradualStyleEncoder", "BackboneEncoderUsingLastLayerIntoW", "BackboneEncoderUsingLastLayerIntoWPlus"]
    static let e4eTypes = ["Encoder4Editing", "SingleStyleCodeEncoder"]

    static func identify(_ file: EncoderCheckpointFile) throws -> String? {
        guard let type = try encoderType(file) else { return nil }
        return pSpTypes.contains(type) ? "psp" : e4eTypes.contains(type) ? "e4e" : nil
    }

    /// `opts.encoder_type`, or for a file without opts the pSp type its keys show.
    static func encoderType(_ file: EncoderCheckpointFile) throws -> String? {
        if let type = try file.options.string("encoder_type") { return type }
        if file.shape("encoder.latlayer1.weight") != nil { return "GradualStyleEncoder" }
        if file.shape("encoder.output_layer_2.3.weight") != nil { return "BackboneEncoderUsingLastLayerIntoWPlus" }
        if file.shape("encoder.linear.weight") == [512, 512], file.contains(prefix: "encoder.body.") {
            return "BackboneEncoderUsingLastLayerIntoW"
        }
        return nil
    }

    /// A pSp container's network (any input channels), latent average and generator.
    struct Parts {
        let network: any StyleCodeNetwork
        let description: String
        let styles: Int
        let widths: StyleEncoderConfiguration
        let average: (Tensor, String)?
        let generator: LoadedGenerator?
    }

    static func parts(_ file: EncoderCheckpointFile, method: String, device: Device) throws -> Parts {
        let options = file.options
        let type = try encoderType(file) ?? (method == "e4e" ? "Encoder4Editing" : "GradualStyleEncoder")
        let channels = try options.int("input_nc") ?? file.shape("encoder.input_layer.0.weight")?[1] ?? 3
        let generator = try file.generator(device: device)
        let size = try options.int("output_size") ?? options.int("stylegan_size") ?? generator?.generator.config.size ?? 1024
        let styles = try EncoderCheckpoint.styleCount(outputSize: size)
        let widths = try file.encoderWidths()
        let trunk = widths == .official ? "IR-SE50" : "narrow IR-SE, stem \(widths.stem), \(widths.inputSize) px"
        let network: any StyleCodeNetwork
        let description: String
        switch type {
        case "GradualStyleEncoder":
            network = try GradualStyleEncoder(inputChannels: channels, styleCount: styles, configuration: widths)
            description = "GradualStyleEncoder (\(trunk) feature pyramid)"
        case "Encoder4Editing":
            network = try GradualStyleEncoder(inputChannels: channels, styleCount: styles, readout: .e4eInference,
                                              configuration: widths)
            description = "Encoder4Editing (\(trunk) feature pyramid, w0 + offsets)"
        case "BackboneEncoderUsingLastLayerIntoW", "SingleStyleCodeEncoder":
            network = try BackboneEncoderUsingLastLayerIntoW(inputChannels: channels, styleCount: styles, configuration: widths)
            description = "\(type) (\(trunk), one w)"
        case "BackboneEncoderUsingLastLayerIntoWPlus":
            network = try BackboneEncoderUsingLastLayerIntoWPlus(inputChannels: channels, styleCount: styles,
                                                                 configuration: widths)
            description = "\(type) (\(trunk), w+ from the last map)"
        default:
            throw CheckpointError.unsupported(file: file.path, message: "encoder_type '\(type)' is not one of "
                + (pSpTypes + e4eTypes).joined(separator: ", "))
        }
        try file.load(network, prefix: "encoder.", as: "\(method) \(type)")
        try network.to(device: device)
        var average: (Tensor, String)?
        if try options.bool("start_from_latent_avg") ?? false {
            average = try file.latentAverage(rows: styles, generator: generator)
            guard average != nil else {
                throw CheckpointError.invalid(file: file.path, message: "trained with start_from_latent_avg, but holds "
                    + "neither latent_avg nor a generator to compute it from")
            }
        }
        return Parts(network: network, description: description, styles: styles, widths: widths,
                     average: try average.map { (try $0.0.to(device: device), $0.1) }, generator: generator)
    }

    static func load(_ file: EncoderCheckpointFile, method: String, device: Device) throws -> LoadedEncoder {
        let channels = try file.options.int("input_nc") ?? file.shape("encoder.input_layer.0.weight")?[1] ?? 3
        guard channels == 3 else {
            throw CheckpointError.unsupported(file: file.path, message: "this \(method) encoder takes \(channels)-channel "
                + "inputs (label or sketch maps); only image encoders (input_nc 3) invert photos: `stylegan restore` "
                + "translates its inputs")
        }
        let parts = try parts(file, method: method, device: device)
        let widths = parts.widths
        let encoder = try PSPEncoder(method: method, network: parts.network, latentAvg: parts.average?.0)
        let lines = [("styles", "\(parts.styles)"), ("input", "images 3x\(widths.inputSize)x\(widths.inputSize)"),
                     ("latent_avg", parts.average.map { "added, \($0.1)" } ?? "not added (start_from_latent_avg off)")]
        return LoadedEncoder(encoder: encoder, generator: parts.generator, summary: file.summary(
            method: method, network: parts.description, parameters: parts.network.parameterCount, lines: lines,
            optionKeys: ["encoder_type", "output_size", "stylegan_size", "input_nc", "start_from_latent_avg", "learn_in_w",
                         "dataset_type"],
            generator: parts.generator))
    }
}

extension EncoderCheckpointFile {
    /// The pSp-family encoder's widths: those our trainers record in `opts`, else the official ones.
    func encoderWidths() throws -> StyleEncoderConfiguration {
        do {
            return try options.string(StyleEncoderConfiguration.optionKey).map(StyleEncoderConfiguration.decode(option:))
                ?? .official
        } catch {
            throw CheckpointError.invalid(file: path, message: "opts.\(StyleEncoderConfiguration.optionKey): \(error)")
        }
    }
}
