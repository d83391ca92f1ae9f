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
        try CLCAECheckpoint.loadContrastive(CLCAEImageEncoder(device: device), path: path, as: "CLCAE image encoder")
    }
}

extension CLCAELatentEncoder {
    /// Reads CLCAE's contrastive latent encoder (`best_model_latent.pt`: `state_dict` with `pos_embedding`,
    /// `coarse.`, `medium.`, `fine.` and `latent_projection.`), or the same keys in safetensors.
    public static func load(path: String, device: Device = .cpu) throws -> CLCAELatentEncoder {
        try CLCAECheckpoint.loadContrastive(CLCAELatentEncoder(device: device), path: path, as: "CLCAE latent encoder")
    }
}

extension CLCAEContrastiveLoss {
    /// The contrastive pair from its two files, with x_avg and w_avg from the generator being inverted.
    public static func load(image imagePath: String, latent latentPath: String, generator: LoadedGenerator,
                            device: Device = .cpu) throws -> CLCAEContrastiveLoss
    {
        try CLCAEContrastiveLoss(
            imageEncoder: CLCAEImageEncoder.load(path: imagePath, device: device),
            latentEncoder: CLCAELatentEncoder.load(path: latentPath, device: device),
            averageImage: CLCAEEncoder.averageImage(of: generator).to(device: device),
            latentAvg: generator.latentAvg.to(device: device))
    }
}

enum CLCAECheckpoint {
    /// Options that build other architectures than the released one.
    static let variantFlags = ["no_res", "no_feature_attention", "no_w_attention", "not_for_feature", "not_for_ww"]

    /// CLCAE's inversion encoder extends pSp's GradualStyleEncoder keys with `styles_others` and the attentions.
    static func identify(_ file: EncoderCheckpointFile) throws -> String? {
        file.contains(prefix: "encoder.styles_others.") ? CLCAEEncoder.methodName : nil
    }

    /// The options give the output size (hence the w+ rows) and `idx_k`; variants built with `variantFlags` or the
    /// cars setting (192x256 inputs) are refused. The released file holds no `latent_avg` (the reference reads it
    /// from the rosinality generator it trained on): a `latent_avg` in the file is used when present, else the mean
    /// of mapping(z) stands in. x_avg is rendered from the generator.
    static func load(_ file: EncoderCheckpointFile, device: Device) throws -> LoadedEncoder {
        let options = file.options
        let variants = try variantFlags.filter { try options.bool($0) == true }
        guard variants.isEmpty else {
            throw CheckpointError.unsupported(file: file.path, message: "CLCAE variant built with "
                + variants.joined(separator: ", ") + "; only the released architecture is read")
        }
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
                                                  layer: layer)
        let encoder = try CLCAEEncoder(generator: generator, featureLayer: layer)
        // The reference loads these weights with strict=False; only missing ones are an error here.
        let skipped = try encoder.encoder.load(stateDict: file.weights(under: "encoder."), strict: false)
        guard skipped.missingKeys.isEmpty else {
            let error = StateDictError(moduleType: "CLCAE GradualStyleEncoder", missingKeys: skipped.missingKeys,
                                       unexpectedKeys: [], shapeMismatches: [])
            throw CheckpointError.invalid(file: file.path, message: "encoder.* is not a CLCAE inversion encoder.\n"
                + error.description)
        }
        try encoder.to(device: device)
        var lines = [("styles", "\(styleCount)"),
                     ("input", "images 3x256x256, minus x_avg = G(latent_avg) pooled to 256"),
                     ("feature", "512x16x16 replacing layer \(layer), blend 1"),
                     ("latent_avg", generator.latentAvgComputed ? "computed (mean of mapping(z)); the file holds none"
                         : "from the file")]
        if !skipped.unexpectedKeys.isEmpty {
            lines.append(("ignored", "\(skipped.unexpectedKeys.count) encoder.* tensors"))
        }
        return LoadedEncoder(encoder: encoder, generator: generator, summary: file.summary(
            method: CLCAEEncoder.methodName, network: "GradualStyleEncoder with W+ and F cross attention (IR-SE50)",
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
