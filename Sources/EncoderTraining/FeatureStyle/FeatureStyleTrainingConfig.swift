import Foundation
import Training

/// The Feature-Style encoder's training configuration: the keys of its `configs/*.yaml` (001.yaml's values are
/// `official`), read from such a file with `load(yaml:)`. Keys the trainer does not use (`device`, `truncation_psi`,
/// `use_noise`, ...) are ignored, as the official trainer ignores them; a missing key takes 001.yaml's value.
public struct FeatureStyleTrainingConfig: Codable, Equatable, Sendable {
    /// The loss weights (`w:` in the yaml).
    public struct Weights: Codable, Equatable, Sendable {
        public var l1: Double
        public var l2: Double
        public var lpips: Double
        public var id: Double
        /// The face-parsing term (`landmarkloss`: BiSeNet's three outputs compared by cosine).
        public var landmark: Double
        /// L2 between the encoder's feature and the generator's own layer-K feature for the encoded w.
        public var fRecon: Double

        enum CodingKeys: String, CodingKey {
            case l1, l2, lpips, id, landmark
            case fRecon = "f_recon"
        }

        public init(l1: Double = 0, l2: Double = 1, lpips: Double = 0.2, id: Double = 0.1, landmark: Double = 0.1,
                    fRecon: Double = 0.01)
        {
            (self.l1, self.l2, self.lpips, self.id, self.landmark, self.fRecon) = (l1, l2, lpips, id, landmark, fRecon)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Weights()
            l1 = try c.decodeIfPresent(Double.self, forKey: .l1) ?? d.l1
            l2 = try c.decodeIfPresent(Double.self, forKey: .l2) ?? d.l2
            lpips = try c.decodeIfPresent(Double.self, forKey: .lpips) ?? d.lpips
            id = try c.decodeIfPresent(Double.self, forKey: .id) ?? d.id
            landmark = try c.decodeIfPresent(Double.self, forKey: .landmark) ?? d.landmark
            fRecon = try c.decodeIfPresent(Double.self, forKey: .fRecon) ?? d.fRecon
        }
    }

    public enum ScaleMode: String, Codable, Sendable {
        case bilinear, nearest
    }

    /// The generator's resolution.
    public var resolution: Int
    /// The side of the encoder's input; images are halved down to it (`downscale`), or enlarged when smaller.
    public var encResolution: Int
    public var batchSize: Int
    public var epochs: Int
    public var iterPerEpoch: Int
    /// A real image beside each synthetic one in every batch.
    public var useRealimg: Bool
    public var optimizer: EncoderTrainingConfig.OptimizerName
    public var lr: Double
    public var beta1: Double
    public var beta2: Double
    public var weightDecay: Double
    /// StepLR over epochs.
    public var stepSize: Int
    public var gamma: Double
    public var imageSaveIter: Int
    public var logIter: Int
    /// The F-space feature (the published encoder); false trains w+ alone.
    public var useFsEncoder: Bool
    public var fsStride: Int
    /// The generator layer the feature replaces.
    public var idxK: Int
    public var scaleMode: ScaleMode
    public var multiscaleLpips: Bool
    public var multiLayerIdloss: Bool
    /// The L2 term over the real images too (by default the synthetic half only).
    public var l2lossOnRealImage: Bool
    /// The share of `--label_path`'s seeds trained on (the first ones).
    public var trainSplit: Double
    public var w: Weights
    /// Ours: the encoder's widths are the official ones / this (one block per stage when above 1), for small
    /// generators.
    public var encWidthDivisor: Int
    /// Ours: the side of BiSeNet's input in the parsing term (the official 512).
    public var parsingSize: Int
    /// Ours: the feature's blend is min(1, rate · iteration) (the official 1e-4, full after 10,000 iterations); a run
    /// of a few thousand iterations raises it so that it trains the feature it will be used with.
    public var featureBlendRate: Double

    enum CodingKeys: String, CodingKey {
        case resolution
        case encResolution = "enc_resolution"
        case batchSize = "batch_size"
        case epochs
        case iterPerEpoch = "iter_per_epoch"
        case useRealimg = "use_realimg"
        case optimizer, lr
        case beta1 = "beta_1"
        case beta2 = "beta_2"
        case weightDecay = "weight_decay"
        case stepSize = "step_size"
        case gamma
        case imageSaveIter = "image_save_iter"
        case logIter = "log_iter"
        case useFsEncoder = "use_fs_encoder"
        case fsStride = "fs_stride"
        case idxK = "idx_k"
        case scaleMode = "scale_mode"
        case multiscaleLpips = "multiscale_lpips"
        case multiLayerIdloss = "multi_layer_idloss"
        case l2lossOnRealImage = "l2loss_on_real_image"
        case trainSplit = "train_split"
        case w
        case encWidthDivisor = "enc_width_divisor"
        case parsingSize = "parsing_size"
        case featureBlendRate = "feature_blend_rate"
    }

    public init(resolution: Int = 1024, encResolution: Int = 256, batchSize: Int = 1, epochs: Int = 12,
                iterPerEpoch: Int = 10000, useRealimg: Bool = true, optimizer: EncoderTrainingConfig.OptimizerName = .ranger,
                lr: Double = 1e-4, beta1: Double = 0.95, beta2: Double = 0.999, weightDecay: Double = 0, stepSize: Int = 10,
                gamma: Double = 0.1, imageSaveIter: Int = 100, logIter: Int = 10, useFsEncoder: Bool = true,
                fsStride: Int = 2, idxK: Int = 5, scaleMode: ScaleMode = .bilinear, multiscaleLpips: Bool = true,
                multiLayerIdloss: Bool = true, l2lossOnRealImage: Bool = false, trainSplit: Double = 0.9,
                w: Weights = Weights(), encWidthDivisor: Int = 1, parsingSize: Int = 512, featureBlendRate: Double = 1e-4)
    {
        self.resolution = resolution
        self.encResolution = encResolution
        self.batchSize = batchSize
        self.epochs = epochs
        self.iterPerEpoch = iterPerEpoch
        self.useRealimg = useRealimg
        self.optimizer = optimizer
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.weightDecay = weightDecay
        self.stepSize = stepSize
        self.gamma = gamma
        self.imageSaveIter = imageSaveIter
        self.logIter = logIter
        self.useFsEncoder = useFsEncoder
        self.fsStride = fsStride
        self.idxK = idxK
        self.scaleMode = scaleMode
        self.multiscaleLpips = multiscaleLpips
        self.multiLayerIdloss = multiLayerIdloss
        self.l2lossOnRealImage = l2lossOnRealImage
        self.trainSplit = trainSplit
        self.w = w
        self.encWidthDivisor = encWidthDivisor
        self.parsingSize = parsingSize
        self.featureBlendRate = featureBlendRate
    }

    /// `configs/001.yaml`, the published encoder's: a 1024 generator, batch 1, 12 epochs of 10,000 iterations, Ranger
    /// 1e-4 with StepLR(10, 0.1), l2 1, multi-scale LPIPS 0.2, multi-layer ID 0.1, parsing 0.1, feature 0.01.
    public static let official = FeatureStyleTrainingConfig()

    /// The testbed's: its 64-pixel generator, encoder widths / 8 on 256-pixel inputs (the feature is then the
    /// generator's 16x16 layer 5), batch 4, one-scale LPIPS (64 pixels halved twice is below AlexNet's minimum), the
    /// testbed BiSeNet at 256 pixels.
    public static let testbed = FeatureStyleTrainingConfig(resolution: 64, batchSize: 4, epochs: 2, iterPerEpoch: 5000,
                                                           stepSize: 1, multiscaleLpips: false, encWidthDivisor: 8,
                                                           parsingSize: 256)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self.official
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        self.init(resolution: try value(.resolution, d.resolution), encResolution: try value(.encResolution, d.encResolution),
                  batchSize: try value(.batchSize, d.batchSize), epochs: try value(.epochs, d.epochs),
                  iterPerEpoch: try value(.iterPerEpoch, d.iterPerEpoch), useRealimg: try value(.useRealimg, d.useRealimg),
                  optimizer: try value(.optimizer, d.optimizer), lr: try value(.lr, d.lr), beta1: try value(.beta1, d.beta1),
                  beta2: try value(.beta2, d.beta2), weightDecay: try value(.weightDecay, d.weightDecay),
                  stepSize: try value(.stepSize, d.stepSize), gamma: try value(.gamma, d.gamma),
                  imageSaveIter: try value(.imageSaveIter, d.imageSaveIter), logIter: try value(.logIter, d.logIter),
                  useFsEncoder: try value(.useFsEncoder, d.useFsEncoder), fsStride: try value(.fsStride, d.fsStride),
                  idxK: try value(.idxK, d.idxK), scaleMode: try value(.scaleMode, d.scaleMode),
                  multiscaleLpips: try value(.multiscaleLpips, d.multiscaleLpips),
                  multiLayerIdloss: try value(.multiLayerIdloss, d.multiLayerIdloss),
                  l2lossOnRealImage: try value(.l2lossOnRealImage, d.l2lossOnRealImage),
                  trainSplit: try value(.trainSplit, d.trainSplit), w: try value(.w, d.w),
                  encWidthDivisor: try value(.encWidthDivisor, d.encWidthDivisor),
                  parsingSize: try value(.parsingSize, d.parsingSize),
                  featureBlendRate: try value(.featureBlendRate, d.featureBlendRate))
    }

    /// Reads a configuration file of the official trainer's form; errors name the file and the key at fault.
    public static func load(yaml path: String) throws -> FeatureStyleTrainingConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EncoderTrainingError("\(path): cannot read the configuration: \(error.localizedDescription)")
        }
        let config: FeatureStyleTrainingConfig
        do {
            config = try YAMLDecoder().decode(FeatureStyleTrainingConfig.self, from: text)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw EncoderTrainingError("\(path): \(key.isEmpty ? "" : "'\(key)': ")\(context.debugDescription)")
        } catch {
            throw EncoderTrainingError("\(path): not a Feature-Style configuration: \(error)")
        }
        do {
            try config.validate()
        } catch {
            throw EncoderTrainingError("\(path): \(error)")
        }
        return config
    }

    /// Iterations of the whole run: epochs x iter_per_epoch.
    public var iterations: Int { epochs * iterPerEpoch }

    /// How many times the trainer's `downscale` halves the generator's images for the encoder:
    /// log2(resolution / enc_resolution), and none when the encoder reads larger images than the generator makes.
    public var scale: Int { max(0, Int(log2(Double(resolution) / Double(encResolution)).rounded(.down))) }

    /// Throws for counts below 1, a resolution that is not a power of two, rates and weights out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw EncoderTrainingError("Feature-Style configuration: \(message)") }
        }
        try check(resolution >= 8 && resolution.nonzeroBitCount == 1, "resolution must be a power of two, got \(resolution)")
        try check(encResolution >= 16 && encResolution.nonzeroBitCount == 1,
                  "enc_resolution must be a power of two of at least 16, got \(encResolution)")
        try check(batchSize >= 1 && epochs >= 1 && iterPerEpoch >= 1,
                  "batch_size, epochs and iter_per_epoch must be at least 1")
        try check(lr > 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && weightDecay >= 0,
                  "lr must be positive and beta_1, beta_2 in [0, 1)")
        try check(stepSize >= 1 && gamma > 0, "step_size must be at least 1 and gamma positive")
        try check(imageSaveIter >= 1 && logIter >= 1, "image_save_iter and log_iter must be at least 1")
        try check(fsStride >= 1 && idxK >= 1, "fs_stride and idx_k must be at least 1")
        try check(trainSplit > 0 && trainSplit <= 1, "train_split must be in (0, 1]")
        try check(encWidthDivisor >= 1, "enc_width_divisor must be at least 1")
        try check(parsingSize >= 32, "parsing_size must be at least 32, got \(parsingSize)")
        try check(featureBlendRate > 0 && featureBlendRate.isFinite, "feature_blend_rate must be positive, got \(featureBlendRate)")
        try check([w.l1, w.l2, w.lpips, w.id, w.landmark, w.fRecon].allSatisfy { $0 >= 0 }, "loss weights must not be negative")
    }
}
