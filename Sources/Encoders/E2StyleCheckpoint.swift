import Checkpoints
import StyleGAN
import Torch

extension EncoderMethodLoader {
    /// E2Style containers as released: `state_dict` with `encoder_firststage.*`, `encoder_refinestage_list.i.*` for
    /// each trained refinement stage and `decoder.*`, `latent_avg`, and `opts` (`start_from_latent_avg`). The heads'
    /// codes and pool sizes are read off their weights.
    public static let e2style = EncoderMethodLoader(methods: ["e2style"], identify: E2StyleCheckpoint.identify,
                                                    load: E2StyleCheckpoint.load)
}

enum E2StyleCheckpoint {
    static let firstPrefix = "encoder_firststage."
    static let refinePrefix = "encoder_refinestage_list."

    static func identify(_ file: EncoderCheckpointFile) throws -> String? {
        file.contains(prefix: firstPrefix) ? "e2style" : nil
    }

    static func load(_ file: EncoderCheckpointFile, method: String, device: Device) throws -> LoadedEncoder {
        let widths = try file.encoderWidths()
        let first = try stage(file, prefix: firstPrefix, name: "E2Style first stage", widths: widths, device: device)
        let indices = Set(file.weights.names.compactMap { name -> Int? in
            guard name.hasPrefix(refinePrefix) else { return nil }
            return Int(name.dropFirst(refinePrefix.count).prefix { $0 != "." })
        })
        guard indices == Set(0..<indices.count) else {
            throw CheckpointError.invalid(file: file.path, message: "refinement stages \(indices.sorted()) are not 0, 1, ...")
        }
        let refine = try (0..<indices.count).map {
            try stage(file, prefix: "\(refinePrefix)\($0).", name: "E2Style refinement stage \($0)", widths: widths, device: device)
        }
        let generator = try file.generator(device: device)
        var average: (Tensor, String)?
        if try file.options.bool("start_from_latent_avg") ?? false {
            average = try file.latentAverage(rows: first.styleCount, generator: generator)
            guard average != nil else {
                throw CheckpointError.invalid(file: file.path, message: "trained with start_from_latent_avg, but holds "
                    + "neither latent_avg nor a generator to compute it from")
            }
        }
        let encoder = try E2StyleEncoder(firstStage: first, refineStages: refine, latentAvg: average?.0.to(device: device))
        let h = first.heads
        let headsText = "\(h.coarse.codes)/\(h.medium.codes)/\(h.fine.codes) codes pooled to "
            + "\(h.coarse.pool)/\(h.medium.pool)/\(h.fine.pool)" + (h == .official ? " (official)" : h == .paper ? " (paper)" : "")
        let lines = [("styles", "\(first.styleCount)"), ("input", "images 3x\(encoder.inputSize)x\(encoder.inputSize)"),
                     ("stages", "\(encoder.stages): first + \(refine.count) refinement, all run"), ("heads", headsText),
                     ("latent_avg", average.map { "added to the first stage, \($0.1)" } ?? "not added (start_from_latent_avg off)")]
        let parameters = ([first] + refine).reduce(0) { $0 + $1.parameterCount }
        return LoadedEncoder(encoder: encoder, generator: generator, summary: file.summary(
            method: method, network: "BackboneEncoderFirstStage + RefineStage ("
                + (widths == .official ? "IR-SE50 to body.20" : "narrow IR-SE, stem \(widths.stem), \(widths.inputSize) px")
                + ", three heads)",
            parameters: parameters, lines: lines, optionKeys: ["training_stage", "input_nc", "start_from_latent_avg", "dataset_type"],
            generator: generator))
    }

    /// One stage network under `prefix`, its heads and input channels read off the weights.
    static func stage(_ file: EncoderCheckpointFile, prefix: String, name: String, widths: StyleEncoderConfiguration,
                      device: Device) throws -> E2StyleStageEncoder
    {
        let shapes = file.weights(under: prefix).mapValues(\.shape)
        guard let input = shapes["input_layer.0.weight"], input.count == 4 else {
            throw CheckpointError.invalid(file: file.path, message: "\(name): no 4-d \(prefix)input_layer.0.weight")
        }
        let network = try E2StyleStageEncoder(inputChannels: input[1], heads: E2StyleStageEncoder.Heads(
            inferringFrom: shapes, configuration: widths), configuration: widths)
        try file.load(network, prefix: prefix, as: name)
        return try network.to(device: device)
    }
}
