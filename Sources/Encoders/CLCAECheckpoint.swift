import Checkpoints
import Foundation
import StyleGAN
import Torch

extension EncoderMethodLoader {
    /// CLCAE models as released (`FFHQ_Inversion`): `torch.save({"state_dict": AFPSP weights under `encoder.` and
    /// `decoder.`, "opts": vars(opts), "iter"})`, or their safetensors form (metadata `method` "clcae", `opts`).
    public static let clcae = EncoderMethodLoader(
        methods: [CLCAEEncoder.methodName], identify: CLCAECheckpoint.identify,
        load: { file, _, device in try CLCAECheckpoint.load(file, device: device) })
}

extension CLCAEEncoder {
    /// Reads a CLCAE model file (see `EncoderMethodLoader.clcae`); the encoder comes with the generator it holds.
    public static func load(path: String, device: Device = .cpu) throws -> LoadedEncoder {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.io(file: path, message: "no such file")
        }
        return try CheckpointError.naming(path) {
            let file = try EncoderCheckpointFile(path: path)
            if let method = file.recordedMethod, method != methodName {
                throw CheckpointError.invalid(file: path, message: "a \(method) encoder file, not CLCAE")
            }
            return try CLCAECheckpoint.load(file, device: device)
        }
    }
}

extension CLCAEImageEncoder {
    /// Reads CLCAE's contrastive image encoder (`best_model_image.pt`: `state_dict` with `logit_scale`, `encoder.`
    /// and `image_projection.`), or the same keys in safetensors.
    public static func load(path: String, device: Device = .cpu) throws -> CLCAEImageEncoder {
        let design = try CLCAECheckpoint.contrastiveFile(path) { try CLCAE.Design(options: $0.options) }
        return try CLCAECheckpoint.loadContrastive(CLCAEImageEncoder(design: design, device: device), path: path,
                                                   as: "CLCAE image encoder")
    }
}

extension CLCAELatentEncoder {
    /// Reads CLCAE's contrastive latent encoder (`best_model_latent.pt`: `state_dict` with `pos_embedding`,
    /// `coarse.`, `medium.`, `fine.` and `latent_projection.`), or the same keys in safetensors.
    public static func load(path: String, device: Device = .cpu) throws -> CLCAELatentEncoder {
        let width = try CLCAECheckpoint.contrastiveFile(path) { $0.shape("pos_embedding")?.last ?? 512 }
        return try CLCAECheckpoint.loadContrastive(CLCAELatentEncoder(width: width, device: device), path: path,
                                                   as: "CLCAE latent encoder")
    }
}

extension CLCAEContrastiveLoss {
    /// The contrastive pair from its two files, with x_avg and w_avg from the generator being inverted.
    public static func load(image imagePath: String, latent latentPath: String, generator: LoadedGenerator,
                            device: Device = .cpu) throws -> CLCAEContrastiveLoss
    {
        let image = try CLCAEImageEncoder.load(path: imagePath, device: device)
        return try CLCAEContrastiveLoss(
            imageEncoder: image, latentEncoder: CLCAELatentEncoder.load(path: latentPath, device: device),
            averageImage: CLCAEEncoder.averageImage(of: generator, side: image.encoder.design.trunk.inputSize).to(device: device),
            latentAvg: generator.latentAvg.reshape([-1]).to(device: device))
    }
}

enum CLCAECheckpoint {
    /// Reads what a contrastive encoder file says of itself (its options, a tensor's shape), naming the file.
    static func contrastiveFile<T>(_ path: String, _ read: (EncoderCheckpointFile) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.io(file: path, message: "no such file")
        }
        return try CheckpointError.naming(path) { try read(EncoderCheckpointFile(path: path)) }
    }

    /// CLCAE's inversion encoder extends pSp's GradualStyleEncoder keys with `styles_others` and the attentions.
    static func identify(_ file: EncoderCheckpointFile) throws -> String? {
        file.contains(prefix: "encoder.styles_others.") ? CLCAEEncoder.methodName : nil
    }

    /// The options give the output size (hence the w+ rows), `idx_k` and the design (the coach's ablation flags, or
    /// ours for narrower trunks); the cars setting (192x256 inputs) is refused. The released file holds no
    /// `latent_avg` (the reference reads it from the rosinality generator it trained on): a `latent_avg` in the file
    /// is used when present, else the mean of mapping(z) stands in. x_avg is rendered from the generator.
    static func load(_ file: EncoderCheckpointFile, device: Device) throws -> LoadedEncoder {
        let options = file.options
        let design = try CheckpointError.naming(file.path) { try CLCAE.Design(options: options) }
        if let dataset = try options.string("dataset_type"), dataset.hasPrefix("car") {
            throw CheckpointError.unsupported(file: file.path, message: "CLCAE cars models (192x256 inputs) are not "
                + "read")
        }
        guard let generator = try file.generator(device: device) else {
            throw CheckpointError.invalid(file: file.path, message: "a CLCAE model holds its generator under "
                + "decoder.*; this file has none")
        }
        let styleCount = try EncoderCheckpoint.styleCount(outputSize: options.int("output_size") ?? 1024)
        let layer = try options.int("idx_k") ?? FeatureStyleEncoder.featureLayer
        try FeatureStyleEncoder.checkFeatureSpace(of: generator.generator, styleCount: styleCount, method: "CLCAE",
                                                  layer: layer, styleDim: design.width, channels: design.featureChannels,
                                                  size: design.featureSize)
        let encoder = try CLCAEEncoder(generator: generator, design: design, featureLayer: layer)
        // The reference loads these weights with strict=False; only missing ones are an error here.
        let skipped = try encoder.encoder.load(stateDict: file.weights(under: "encoder."), strict: false)
        guard skipped.missingKeys.isEmpty else {
            let error = StateDictError(moduleType: "CLCAE GradualStyleEncoder", missingKeys: skipped.missingKeys,
                                       unexpectedKeys: [], shapeMismatches: [])
            throw CheckpointError.invalid(file: file.path, message: "encoder.* is not a CLCAE inversion encoder.\n"
                + error.description)
        }
        try encoder.to(device: device)
        let side = design.trunk.inputSize
        var lines = [("styles", "\(styleCount)"),
                     ("input", "images 3x\(side)x\(side), minus x_avg = G(latent_avg) pooled to \(side)"),
                     ("feature", design.forFeature ? "\(design.featureChannels)x\(design.featureSize)x\(design.featureSize) "
                         + "replacing layer \(layer), blend 1" : "none (not_for_feature)"),
                     ("latent_avg", generator.latentAvgComputed ? "computed (mean of mapping(z)); the file holds none"
                         : "from the file")]
        if !skipped.unexpectedKeys.isEmpty {
            lines.append(("ignored", "\(skipped.unexpectedKeys.count) encoder.* tensors"))
        }
        return LoadedEncoder(encoder: encoder, generator: generator, summary: file.summary(
            method: CLCAEEncoder.methodName,
            network: design == .released ? "GradualStyleEncoder with W+ and F cross attention (IR-SE50)"
                : "GradualStyleEncoder, CLCAE design \(try design.optionValue())",
            parameters: encoder.parameterCount, lines: lines,
            optionKeys: ["output_size", "idx_k", "learn_in_w", "dataset_type"], generator: generator))
    }

    /// Loads a contrastive encoder file (a `state_dict` container, a bare state dict, or safetensors) strictly.
    static func loadContrastive<Network: Module>(_ network: Network, path: String, as name: String) throws -> Network {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.io(file: path, message: "no such file")
        }
        return try CheckpointError.naming(path) {
            try EncoderCheckpointFile(path: path).load(network, prefix: "", as: name)
            return network
        }
    }
}
