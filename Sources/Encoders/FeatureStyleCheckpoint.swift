import Checkpoints
import Foundation
import StyleGAN
import Torch

extension EncoderMethodLoader {
    /// Feature-Style encoder files: the bare `fs_encoder_v2` state dict (`143_enc.pth`), a training
    /// `checkpoint.pth` (`enc_state_dict`), or their safetensors form. The files hold no `latent_avg`; through
    /// `EncoderCheckpoint` one is needed in the file, so load the released pair with
    /// `FeatureStyleEncoder.load(encoder:generator:)`.
    public static let featureStyle = EncoderMethodLoader(
        methods: [FeatureStyleEncoder.methodName], identify: FeatureStyleCheckpoint.identify,
        load: { file, _, device in try FeatureStyleCheckpoint.load(file, generator: nil, device: device) })
}

extension FeatureStyleEncoder {
    /// Reads the published pair: the encoder file and the generator it was trained with (the reference trainer
    /// takes `latent_avg` and the `decoder.` weights from `psp_ffhq_encode.pt`; any file `GeneratorCheckpoint`
    /// reads will do). The generator must take the encoder's w+ rows of 512 and have a 512x16x16 layer 5.
    public static func load(encoder path: String, generator generatorPath: String, device: Device = .cpu) throws
        -> LoadedEncoder
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError.io(file: path, message: "no such file")
        }
        let file = try CheckpointError.naming(path) { try EncoderCheckpointFile(path: path) }
        return try load(encoder: file, generator: generatorPath, device: device)
    }

    /// The same pair from an encoder file already read.
    public static func load(encoder file: EncoderCheckpointFile, generator generatorPath: String,
                            device: Device = .cpu) throws -> LoadedEncoder
    {
        if let method = file.recordedMethod, method != FeatureStyleEncoder.methodName {
            throw CheckpointError.invalid(file: file.path, message: "a \(method) encoder file, not Feature-Style")
        }
        let generator = try GeneratorCheckpoint.load(generatorPath, device: device)
        return try FeatureStyleCheckpoint.load(file, generator: (generator, generatorPath), device: device)
    }
}

enum FeatureStyleCheckpoint {
    /// Where the encoder's keys sit: bare, in a training checkpoint, or saved through `DataParallel`.
    static let prefixes = ["", "enc_state_dict.", "module.", "enc_state_dict.module."]

    static func identify(_ file: EncoderCheckpointFile) throws -> String? {
        prefix(of: file) == nil ? nil : FeatureStyleEncoder.methodName
    }

    /// The prefix under which the file holds `styles.0` (official 8640 -> 512: the stages' widths x 9 in) and
    /// `content_layer`.
    static func prefix(of file: EncoderCheckpointFile) -> String? {
        prefixes.first { prefix in
            let widths = (1...4).compactMap { file.shape(prefix + "block_\($0).0.conv1.weight")?.first }
            guard let styles = file.shape(prefix + "styles.0.weight"), styles.count == 2, widths.count == 4 else { return false }
            return styles[1] == widths.reduce(0, +) * 9 && file.shape(prefix + "content_layer.1.weight") != nil
        }
    }

    /// Builds the encoder from `file`, with `latent_avg` from the generator when given (its path names it in
    /// errors), else from the file.
    static func load(_ file: EncoderCheckpointFile, generator: (LoadedGenerator, path: String)?, device: Device) throws
        -> LoadedEncoder
    {
        guard let prefix = prefix(of: file) else {
            throw CheckpointError.invalid(file: file.path, message: "not a Feature-Style encoder: no styles.0.weight "
                + "[512, 8640] (the stages' widths x 9) beside content_layer")
        }
        var styleCount = 0
        while file.shape(prefix + "styles.\(styleCount).weight") != nil { styleCount += 1 }
        // The widths are the file's; the feature's side is that of the layer it replaces (official: 16, so the
        // encoder reads 256-pixel images with fs_stride 2).
        let layer = FeatureStyleEncoder.featureLayer
        let featureSize = generator.map { $0.0.generator.numLayers > layer ? $0.0.generator.resolution(ofLayer: layer) : 16 } ?? 16
        let shapes = Dictionary(uniqueKeysWithValues: file.weights(under: prefix).map { ($0.key, $0.value.shape) })
        let configuration = try CheckpointError.naming(file.path) {
            try FeatureStyleEncoder.Configuration(inferringFrom: shapes, featureSize: featureSize)
        }
        let average: Tensor
        let source: String
        if case let (loaded, path)? = generator {
            do {
                try FeatureStyleEncoder.checkFeatureSpace(of: loaded.generator, styleCount: styleCount,
                                                          method: "Feature-Style", styleDim: configuration.styleDim,
                                                          channels: configuration.featureChannels, size: featureSize)
            } catch let error as TorchError {
                throw CheckpointError.invalid(file: path, message: error.message)
            }
            average = loaded.latentAvg
            source = loaded.latentAvgComputed ? "computed from the generator (mean of mapping(z))"
                : "the generator file's"
        } else if let fromFile = file.latentAvg {
            average = try CheckpointError.naming(file.path) {
                try fromFile.rank == 2 ? fromFile.mean([0]) : fromFile.reshape([-1])
            }
            source = "from the file"
        } else {
            throw CheckpointError.invalid(file: file.path, message: "a Feature-Style encoder file holds no latent_avg; "
                + "load it with the generator it was trained with")
        }
        let encoder = try CheckpointError.naming(file.path) {
            let encoder = try FeatureStyleEncoder(styleCount: styleCount, configuration: configuration,
                                                  latentAvg: average.to(device: .cpu))
            try file.load(encoder, prefix: prefix, as: "Feature-Style encoder")
            return try encoder.to(device: device)
        }
        let c = configuration
        let lines = [("styles", "\(styleCount)"),
                     ("input", "images 3x\(c.inputSize)x\(c.inputSize) (larger powers of two are halved first)"),
                     ("feature", "\(c.featureChannels)x\(featureSize)x\(featureSize) replacing layer \(layer), blend 1"),
                     ("latent_avg", "added, \(source)")]
        return LoadedEncoder(encoder: encoder, generator: generator?.0, summary: file.summary(
            method: FeatureStyleEncoder.methodName,
            network: c == .official ? "fs_encoder_v2 (iResNet-50, stride 2)"
                : "fs_encoder_v2 (iResNet widths \(c.stages.map(String.init).joined(separator: "/")), blocks "
                    + "\(c.blocks.map(String.init).joined(separator: "/")), stride 2)",
            parameters: encoder.parameterCount, lines: lines, optionKeys: [], generator: generator?.0))
    }
}
