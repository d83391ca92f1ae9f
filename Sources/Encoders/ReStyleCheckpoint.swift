import Checkpoints
import StyleGAN
import Torch

extension EncoderMethodLoader {
    /// ReStyle containers as released (`state_dict` with `encoder.*` and `decoder.*`, `latent_avg`, `opts` with
    /// `encoder_type`, `input_nc` 6, `output_size`, `n_iters_per_batch`, `dataset_type`): the IR-SE50 encoders of the
    /// FFHQ models and the ResNet-34 ones of the other domains, pSp and e4e flavours.
    public static let reStyle = EncoderMethodLoader(methods: ["restyle-psp", "restyle-e4e"], identify: ReStyleCheckpoint.identify,
                                                    load: ReStyleCheckpoint.load)
}

enum ReStyleCheckpoint {
    static let pSpTypes = ["BackboneEncoder", "ResNetBackboneEncoder", "GradualStyleEncoder", "ResNetGradualStyleEncoder"]
    static let e4eTypes = ["ProgressiveBackboneEncoder", "ResNetProgressiveBackboneEncoder"]

    static func identify(_ file: EncoderCheckpointFile) throws -> String? {
        let type = try file.options.string("encoder_type")
        if let type, e4eTypes.contains(type) { return "restyle-e4e" }
        // ReStyle's FPN encoders share pSp's encoder_type; the six input channels tell them apart.
        if let type, !pSpTypes.contains(type) { return nil }
        if let type, type.hasSuffix("BackboneEncoder") { return "restyle-psp" }
        return try inputChannels(file) == 6 ? "restyle-psp" : nil
    }

    /// `opts.input_nc`, else the first conv's input channels.
    static func inputChannels(_ file: EncoderCheckpointFile) throws -> Int? {
        try file.options.int("input_nc")
            ?? (file.shape("encoder.input_layer.0.weight") ?? file.shape("encoder.conv1.weight"))?[1]
    }

    static func load(_ file: EncoderCheckpointFile, method: String, device: Device) throws -> LoadedEncoder {
        let options = file.options
        let resNet = file.shape("encoder.conv1.weight") != nil
        let type = try options.string("encoder_type") ?? (method == "restyle-e4e"
            ? (resNet ? "ResNetProgressiveBackboneEncoder" : "ProgressiveBackboneEncoder")
            : (resNet ? "ResNetBackboneEncoder" : "BackboneEncoder"))
        let channels = try inputChannels(file) ?? 6
        guard channels == 6 else {
            throw CheckpointError.unsupported(file: file.path, message: "a ReStyle encoder takes 6 channels (image and "
                + "reconstruction), this one \(channels)")
        }
        let generator = try file.generator(device: device)
        let size = try options.int("output_size") ?? generator?.generator.config.size ?? 1024
        let styles = try EncoderCheckpoint.styleCount(outputSize: size)
        let readout: StyleReadout = e4eTypes.contains(type) ? .e4eInference : .independent
        let widths = try file.encoderWidths()
        let trunk = widths == .official ? "IR-SE50" : "narrow IR-SE, stem \(widths.stem), \(widths.inputSize) px"
        let network: any StyleCodeNetwork
        let description: String
        switch type {
        case "BackboneEncoder", "ProgressiveBackboneEncoder":
            network = try ReStyleBackboneEncoder(styleCount: styles, readout: readout, configuration: widths)
            description = "\(type) (\(trunk), styles from the \(widths.inputSize / 16)x\(widths.inputSize / 16) map)"
        case "ResNetBackboneEncoder", "ResNetProgressiveBackboneEncoder":
            // Narrow ResNet encoders record their widths like the IR-SE ones; without them it is ResNet-34.
            let resNetWidths = widths == .official ? StyleEncoderConfiguration.resNet34 : widths
            network = try ReStyleResNetEncoder(styleCount: styles, readout: readout, configuration: resNetWidths)
            let side = resNetWidths.inputSize / 16
            description = "\(type) (\(resNetWidths == .resNet34 ? "ResNet-34" : "narrow ResNet, stem \(resNetWidths.stem)"), "
                + "styles from the \(side)x\(side) map)"
        case "GradualStyleEncoder":
            network = try GradualStyleEncoder(inputChannels: 6, styleCount: styles, configuration: widths)
            description = "GradualStyleEncoder (\(trunk) feature pyramid)"
        default:
            throw CheckpointError.unsupported(file: file.path, message: "ReStyle encoder_type '\(type)' is not read; "
                + "the released models use BackboneEncoder, ResNetBackboneEncoder, ProgressiveBackboneEncoder and "
                + "ResNetProgressiveBackboneEncoder")
        }
        try file.load(network, prefix: "encoder.", as: "\(method) \(type)")
        try network.to(device: device)
        guard let average = try file.latentAverage(rows: styles, generator: generator) else {
            throw CheckpointError.invalid(file: file.path, message: "ReStyle starts from the latent average, but the file "
                + "holds neither latent_avg nor a generator to compute it from")
        }
        let cars = try options.string("dataset_type") == "cars_encode"
        let encoder = try ReStyleEncoder(method: method, network: network, latentAvg: average.0.to(device: device),
                                         iterations: options.int("n_iters_per_batch") ?? 5,
                                         reconstructionRows: cars ? 32..<224 : nil)
        let lines = [("styles", "\(styles)"),
                     ("input", "images 3x\(encoder.inputHeight)x\(encoder.inputSize) beside the reconstruction"),
                     ("iterations", "\(encoder.iterations)"), ("latent_avg", "start of the iterations, \(average.1)")]
        return LoadedEncoder(encoder: encoder, generator: generator, summary: file.summary(
            method: method, network: description, parameters: network.parameterCount, lines: lines,
            optionKeys: ["encoder_type", "output_size", "input_nc", "n_iters_per_batch", "dataset_type"],
            generator: generator))
    }
}
