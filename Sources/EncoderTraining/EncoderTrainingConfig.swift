import Encoders
import Foundation
import Perception
import StyleGAN
import Torch

/// The settings of an encoder run, named and defaulted as pSp's `options/train_options.py` (`--batch_size` 4,
/// `--learning_rate` 1e-4, `--optim_name` ranger, `--lpips_lambda` 0.8, `--id_lambda` 0.1, `--l2_lambda` 1, ...).
/// Encoded with the official names, so a checkpoint's `opts` reads as the official scripts wrote it; our additions
/// (the dataset paths, narrow widths, where the loss networks are) sit beside them.
public struct EncoderTrainingConfig: Codable, Equatable, Sendable {
    /// pSp's and e4e's `--encoder_type`.
    public enum EncoderType: String, Codable, CaseIterable, Sendable {
        case gradualStyleEncoder = "GradualStyleEncoder"
        case encoder4Editing = "Encoder4Editing"
        /// ReStyle's IR-SE50 encoder, every style from the last map.
        case backboneEncoder = "BackboneEncoder"
        /// ReStyle-e4e's: the same with e4e's w0 + deltas readout.
        case progressiveBackboneEncoder = "ProgressiveBackboneEncoder"
        /// ReStyle's ResNet-34 encoders of its other domains (cars, churches, horses), both readouts.
        case resNetBackboneEncoder = "ResNetBackboneEncoder"
        case resNetProgressiveBackboneEncoder = "ResNetProgressiveBackboneEncoder"
        /// E2Style's stages (its scripts take no --encoder_type).
        case backboneEncoderFirstStage = "BackboneEncoderFirstStage"
        case backboneEncoderUsingLastLayerIntoW = "BackboneEncoderUsingLastLayerIntoW"
        case backboneEncoderUsingLastLayerIntoWPlus = "BackboneEncoderUsingLastLayerIntoWPlus"
    }

    /// pSp's `--optim_name`.
    public enum OptimizerName: String, Codable, CaseIterable, Sendable {
        case ranger, adam
    }

    /// The method; its trainer reads the options that apply to it.
    public var method: EncoderMethod = .psp
    /// Training images: a folder, a StyleGAN2-ADA zip or a rosinality LMDB (pSp's `train_target_root`).
    public var dataset: String
    /// Validation images (pSp's `test_target_root`); nil: no validation, and so no `best_model.pt`.
    public var testDataset: String?
    /// The encoder's inputs paired with `dataset`'s targets in sorted order (pSp's `train_source_root`: E2Style's
    /// restoration tasks read degraded images from it); nil: the targets themselves.
    public var sourceDataset: String?
    /// The same for `testDataset` (pSp's `test_source_root`).
    public var testSourceDataset: String?
    /// pSp's `--dataset_type`, recorded for the official scripts; the data come from `dataset`.
    public var datasetType = "ffhq_encode"
    /// The method's own by default: GradualStyleEncoder (pSp), Encoder4Editing (e4e).
    public var encoderType: EncoderType
    public var inputNC = 3
    public var labelNC = 0
    /// The generator's resolution; nil takes the generator file's.
    public var outputSize: Int?
    public var batchSize = 4
    public var testBatchSize = 2
    public var workers = 4
    public var testWorkers = 2
    public var learningRate = 0.0001
    public var optimName = OptimizerName.ranger
    public var trainDecoder = false
    public var startFromLatentAvg = false
    public var learnInW = false
    public var lpipsLambda = 0.8
    public var idLambda = 0.1
    public var l2Lambda = 1.0
    public var wNormLambda = 0.0
    public var lpipsLambdaCrop = 0.0
    public var l2LambdaCrop = 0.0
    public var mocoLambda = 0.0
    /// Ours: the network of the `id` terms (nil: ArcFace IR-SE50, as the papers); `.dlib` reads dlib's
    /// face-recognition ResNet from `dlibModels` (or where `DlibModels.locate` finds it).
    public var idNetwork: FaceIdentityNetwork?
    public var dlibModels: String?
    /// The generator file (any layout `GeneratorCheckpoint` reads).
    public var styleganWeights: String
    /// An encoder checkpoint to start from (its `encoder.*` and `decoder.*` weights and `latent_avg`).
    public var checkpointPath: String?
    /// IR-SE weights the encoder's trunk starts from (pSp loads `model_ir_se50.pth` here); nil: random.
    public var encoderInit: String?
    public var maxSteps = 500_000
    public var imageInterval = 100
    public var boardInterval = 50
    public var valInterval = 1000
    /// nil: only at the end, as pSp (`save_interval = max_steps`).
    public var saveInterval: Int?
    /// Super-resolution factors (`"1,2,4,8"`); a restoration task, not yet trained here.
    public var resizeFactors: String?
    /// Seed of the weights, the data order, the flips and the noise maps.
    public var seed: UInt64 = 0
    /// 1: pSp's IR-SE50 widths; D > 1: every width divided by D and one unit per stage
    /// (`StyleEncoderConfiguration.narrow`), for small generators and CPUs.
    public var encoderWidthDivisor = 1
    /// Side of the images the encoder reads and the losses compare (pSp: 256); the generator's images are pooled to it.
    public var encoderInputSize = 256
    /// Which LPIPS the `lpips` terms use: AlexNet as pSp, VGG, or the testbed's.
    public var lpipsType = LPIPS.Network.alex
    /// A folder holding the loss networks under their published names (`alexnet-owt-7be5be79.pth`,
    /// `model_ir_se50.pth`, ...) or the testbed's (`attributes.safetensors`, `lpips.safetensors`,
    /// `identity.safetensors`).
    public var weights: String?
    /// Ours: the dtype the frozen loss networks compute in; encoder, generator, losses and optimisers stay float32.
    public var precision = ComputePrecision.float32

    // e4e (options/train_options.py): the latent discriminator, the code pool and progressive delta training.
    public var wDiscriminatorLambda = 0.0
    public var wDiscriminatorLr = 2e-5
    public var r1 = 10.0
    public var dRegEvery = 16
    public var useWPool = false
    public var wPoolSize = 50
    /// The p of the deltas' norm.
    public var deltaNorm = 2
    public var deltaNormLambda = 2e-4
    /// The step at which each progressive stage starts (stage i trains deltas 1...i); one per style, the first 0.
    public var progressiveSteps: [Int]?
    /// Derives `progressiveSteps`: [0, start, start + every, ...] (e4e's `setup_progressive_steps`).
    public var progressiveStart: Int?
    public var progressiveStepEvery = 2000
    /// ReStyle: refinement passes per batch, their gradients summed before one step.
    public var nItersPerBatch = 5
    /// E2Style: the stage this run trains (1: the first stage; k > 1: refinement stage k - 1 over the stages of
    /// `checkpoint_path`).
    public var trainingStage = 1
    /// E2Style: weight of the parsing loss.
    public var parseLambda = 1.0
    /// Also write e4e's training keys (`global_step`, `optimizer`, `best_val_loss`, the discriminator and its
    /// optimiser) into each checkpoint, so e4e's own script resumes from it.
    public var saveTrainingData = false
    /// With `--resume_training_from_ckpt` of an e4e file: take its optimiser state too.
    public var keepOptimizer = false

    // CLCAE (options/train_options.py): the contrastive stage, then the inversion stage with its alignment loss.
    /// CLCAE's stage 1: the image and latent encoders aligned by the contrastive loss.
    public var trainContrastive = false
    /// CLCAE's stage 2: the inversion encoder (W+ and F cross attention) with the contrastive alignment loss.
    public var trainInversion = false
    public var contrastiveLambda = 0.1
    /// L2-normalise the embeddings before the contrastive loss (every published CLCAE command passes it).
    public var useNorm = false
    public var latentEmbeddingDim = 512
    public var imageEmbeddingDim = 512
    public var projectionDim = 512
    /// Stage 1: the image and latent encoders to start from (`best_model_image.pt`, `best_model_latent.pt`).
    public var checkpointPathImage: String?
    public var checkpointPathLatent: String?
    /// Stage 2: an inversion model to start from (its `encoder.*`; the generator stays `stylegan_weights`').
    public var checkpointPathAf: String?
    public var featureMatchingLambda = 0.01
    public var multiScaleLpips = true
    public var notForFeature = false
    public var notForWW = false
    public var noFeatureAttention = false
    public var noWAttention = false
    public var noRes = false
    /// Stage 2: the contrastive pair of stage 1 (paths here; the official names entries of `model_paths`).
    public var contrastiveModelImage: String?
    public var contrastiveModelLatent: String?
    /// The generator layer the feature replaces (nil: 5).
    public var idxK: Int?
    /// Ours: how fresh CLCAE encoders draw their `EqualLinear` weights (nil: `.official`).
    public var equalLinearInit: CLCAEEqualLinearInit?
    public var maxEpoch = 80
    /// Ours, stage 1: the image-latent pairs, drawn from the generator (each from its own seed, as the official
    /// pre-generated pairs), trained on and validated on (`test_batch_size` · this many batches).
    public var contrastiveSamples = 50_000
    public var contrastiveTestBatches = 8

    public init(method: EncoderMethod = .psp, dataset: String, styleganWeights: String) {
        self.method = method
        self.dataset = dataset
        self.styleganWeights = styleganWeights
        encoderType = method.defaultEncoderType
        if method.isReStyle {
            // ReStyle's options/train_options.py: the image beside the reconstruction, and every weight 0.
            inputNC = 6
            (lpipsLambda, idLambda, l2Lambda) = (0, 0, 0)
        }
        if method == .clcae {
            // CLCAE's options/train_options.py.
            (batchSize, idLambda) = (2, 0)
        }
    }

    enum CodingKeys: String, CodingKey {
        case method, dataset
        case testDataset = "test_dataset"
        case sourceDataset = "source_dataset"
        case testSourceDataset = "test_source_dataset"
        case datasetType = "dataset_type"
        case encoderType = "encoder_type"
        case inputNC = "input_nc"
        case labelNC = "label_nc"
        case outputSize = "output_size"
        case batchSize = "batch_size"
        case testBatchSize = "test_batch_size"
        case workers
        case testWorkers = "test_workers"
        case learningRate = "learning_rate"
        case optimName = "optim_name"
        case trainDecoder = "train_decoder"
        case startFromLatentAvg = "start_from_latent_avg"
        case learnInW = "learn_in_w"
        case lpipsLambda = "lpips_lambda"
        case idLambda = "id_lambda"
        case l2Lambda = "l2_lambda"
        case wNormLambda = "w_norm_lambda"
        case lpipsLambdaCrop = "lpips_lambda_crop"
        case l2LambdaCrop = "l2_lambda_crop"
        case mocoLambda = "moco_lambda"
        case idNetwork = "id_network"
        case dlibModels = "dlib_models"
        case styleganWeights = "stylegan_weights"
        case checkpointPath = "checkpoint_path"
        case encoderInit = "encoder_init"
        case maxSteps = "max_steps"
        case imageInterval = "image_interval"
        case boardInterval = "board_interval"
        case valInterval = "val_interval"
        case saveInterval = "save_interval"
        case resizeFactors = "resize_factors"
        case seed
        case encoderWidthDivisor = "encoder_width_divisor"
        case encoderInputSize = "encoder_input_size"
        case lpipsType = "lpips_type"
        case weights, precision
        case wDiscriminatorLambda = "w_discriminator_lambda"
        case wDiscriminatorLr = "w_discriminator_lr"
        case r1
        case dRegEvery = "d_reg_every"
        case useWPool = "use_w_pool"
        case wPoolSize = "w_pool_size"
        case deltaNorm = "delta_norm"
        case deltaNormLambda = "delta_norm_lambda"
        case progressiveSteps = "progressive_steps"
        case progressiveStart = "progressive_start"
        case progressiveStepEvery = "progressive_step_every"
        case saveTrainingData = "save_training_data"
        case keepOptimizer = "keep_optimizer"
        case nItersPerBatch = "n_iters_per_batch"
        case trainingStage = "training_stage"
        case parseLambda = "parse_lambda"
        case trainContrastive = "train_contrastive"
        case trainInversion = "train_inversion"
        case contrastiveLambda = "contrastive_lambda"
        case useNorm = "use_norm"
        case latentEmbeddingDim = "latent_embedding_dim"
        case imageEmbeddingDim = "image_embedding_dim"
        case projectionDim = "projection_dim"
        case checkpointPathImage = "checkpoint_path_image"
        case checkpointPathLatent = "checkpoint_path_latent"
        case checkpointPathAf = "checkpoint_path_af"
        case featureMatchingLambda = "feature_matching_lambda"
        case multiScaleLpips = "multi_scale_lpips"
        case notForFeature = "not_for_feature"
        case notForWW = "not_for_ww"
        case noFeatureAttention = "no_feature_attention"
        case noWAttention = "no_w_attention"
        case noRes = "no_res"
        case contrastiveModelImage = "contrastive_model_image"
        case contrastiveModelLatent = "contrastive_model_latent"
        case idxK = "idx_k"
        case equalLinearInit = "equal_linear_init"
        case maxEpoch = "max_epoch"
        case contrastiveSamples = "contrastive_samples"
        case contrastiveTestBatches = "contrastive_test_batches"
    }

    /// The loss weights of pSp's `calc_loss`, by term.
    public var lossWeights: [EncoderLossTerm: Double] {
        [.id: idLambda, .parse: method == .e2style ? parseLambda : 0, .l2: l2Lambda, .lpips: lpipsLambda, .lpipsCrop: lpipsLambdaCrop, .l2Crop: l2LambdaCrop,
         .wNorm: wNormLambda, .moco: mocoLambda]
    }

    /// Checks every number and combination, naming the flag as the command line spells it.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw EncoderTrainingError(message) } }
        try check(method != .featureStyle, "the Feature-Style encoder trains from its yaml configuration "
            + "(FeatureStyleTrainingConfig, FeatureStyleTrainer), not pSp's options")
        try check((1...1024).contains(batchSize), "--batch_size must be in 1...1024, got \(batchSize)")
        try check((1...1024).contains(testBatchSize), "--test_batch_size must be in 1...1024, got \(testBatchSize)")
        try check((1...64).contains(workers), "--workers must be in 1...64, got \(workers)")
        try check((1...64).contains(testWorkers), "--test_workers must be in 1...64, got \(testWorkers)")
        try check(learningRate > 0 && learningRate < 1, "--learning_rate must be in (0, 1), got \(learningRate)")
        if labelNC > 0 {
            // pSp's sketch (label_nc 1) and segmentation (label_nc 19) tasks: its scripts set input_nc = label_nc.
            try check(method == .psp, "--label_nc: label-map inputs train with --method psp")
            try check(labelNC <= 256, "--label_nc must be at most 256, got \(labelNC)")
            try check(inputNC == labelNC, "--label_nc \(labelNC) needs --input_nc \(labelNC) (one channel per class)")
            try check(sourceDataset != nil, "--label_nc needs the label maps: give them with --source_dataset")
            try check(idLambda == 0 && mocoLambda == 0,
                      "--label_nc: the identity losses compare with the input, which is a label map here; set --id_lambda 0")
        } else {
            let channels = method.isReStyle ? 6 : 3
            try check(inputNC == channels, "--input_nc \(inputNC): \(method.rawValue) encoders take \(channels) channels "
                + (channels == 6 ? "(the image beside the reconstruction)" : "(images; label maps with --label_nc)"))
        }
        try check((1...100).contains(nItersPerBatch), "--n_iters_per_batch must be in 1...100, got \(nItersPerBatch)")
        try check(equalLinearInit == nil || method == .clcae, "--equal_linear_init is CLCAE's (--method clcae)")
        try check(idNetwork != .dlib || idLambda > 0, "--id_network dlib chooses the network of the id terms; they are off "
            + "(--id_lambda 0)")
        if method == .e2style {
            try check((1...20).contains(trainingStage), "--training_stage must be in 1...20, got \(trainingStage)")
            try check(trainingStage == 1 || checkpointPath != nil, "--training_stage \(trainingStage) refines the stages of "
                + "an E2Style checkpoint: give --checkpoint_path (stage \(trainingStage - 1)'s)")
            try check(mocoLambda == 0, "E2Style has no --moco_lambda")
        }
        if method == .clcae { try validateCLCAE() }
        try check(sourceDataset == nil || resizeFactors == nil, "give --source_dataset or --resize_factors, not both")
        if let task = Degradation(datasetType: datasetType) {
            try check(resizeFactors == nil && labelNC == 0, "--dataset_type \(task.rawValue) degrades the images themselves; "
                + "it takes no --resize_factors or --label_nc")
            try check(!method.isReStyle && method != .clcae, "--dataset_type \(task.rawValue): E2Style's restoration tasks "
                + "train with --method e2style (or psp, e4e)")
        }
        try check(testSourceDataset == nil || (sourceDataset != nil && testDataset != nil),
                  "--test_source_dataset pairs with --test_dataset, and needs --source_dataset for training")
        try check(sourceDataset == nil || testDataset == nil || testSourceDataset != nil,
                  "with --source_dataset, validation needs its sources too: give --test_source_dataset")
        if let resizeFactors {
            try check(method == .psp, "--resize_factors: the super-resolution task trains with --method psp")
            let factors = try SuperResolution(factors: resizeFactors).factors
            // The bicubic kernel spans 4 · factor pixels, reflect-padded by up to 1.5 · factor on a side.
            try check(factors.allSatisfy { encoderInputSize % $0 == 0 && (3 * $0 + 1) / 2 < encoderInputSize },
                      "--resize_factors \(resizeFactors): each factor must divide --encoder_input_size \(encoderInputSize) "
                          + "and be below a third of it")
        }
        for (term, weight) in lossWeights {
            try check(weight >= 0 && weight.isFinite, "--\(term.flag) must be at least 0, got \(weight)")
        }
        try check(!(idLambda > 0 && mocoLambda > 0),
                  "both --id_lambda and --moco_lambda are above 0; pSp uses one identity loss: set the other to 0")
        try check(lossWeights.values.contains { $0 > 0 } || wDiscriminatorLambda > 0, "every loss weight is 0; nothing would train")
        try check(method.encoderTypes.contains(encoderType), "--encoder_type \(encoderType.rawValue) is not one of "
            + "\(method.rawValue)'s: \(method.encoderTypes.map(\.rawValue).joined(separator: ", "))")
        if method.hasE4ERegularizers {
            try check(lpipsLambdaCrop == 0 && l2LambdaCrop == 0 && wNormLambda == 0,
                      "\(method.rawValue) has no --lpips_lambda_crop, --l2_lambda_crop or --w_norm_lambda")
            try check(wDiscriminatorLambda >= 0 && wDiscriminatorLambda.isFinite, "--w_discriminator_lambda must be at least 0")
            try check(wDiscriminatorLr > 0 && wDiscriminatorLr < 1, "--w_discriminator_lr must be in (0, 1), got \(wDiscriminatorLr)")
            try check(r1 >= 0 && r1.isFinite, "--r1 must be at least 0, got \(r1)")
            try check(dRegEvery >= 1, "--d_reg_every must be at least 1, got \(dRegEvery)")
            try check((0...100_000).contains(wPoolSize), "--w_pool_size must be in 0...100000, got \(wPoolSize)")
            try check(deltaNorm >= 1, "--delta_norm must be at least 1, got \(deltaNorm)")
            try check(deltaNormLambda >= 0 && deltaNormLambda.isFinite, "--delta_norm_lambda must be at least 0")
            try check(progressiveStepEvery >= 1, "--progressive_step_every must be at least 1, got \(progressiveStepEvery)")
            try check(progressiveStart.map { $0 >= 0 } ?? true, "--progressive_start must be at least 0")
            try check(progressiveSteps == nil || progressiveStart == nil, "give --progressive_steps or --progressive_start, not both")
        } else {
            try check(wDiscriminatorLambda == 0 && progressiveSteps == nil && progressiveStart == nil,
                      "the latent discriminator and progressive training are e4e's (--method e4e or restyle-e4e)")
        }
        // CLCAE's --learn_in_w only shapes latent_avg (one row), which its foundation code w always uses.
        try check(!learnInW || method == .clcae || encoderType == .backboneEncoderUsingLastLayerIntoW,
                  "--learn_in_w needs --encoder_type BackboneEncoderUsingLastLayerIntoW (one w per image)")
        try check((1...100_000_000).contains(maxSteps), "--max_steps must be in 1...100000000, got \(maxSteps)")
        for (name, value) in [("image_interval", imageInterval), ("board_interval", boardInterval),
                              ("val_interval", valInterval)]
        {
            try check(value >= 1, "--\(name) must be at least 1, got \(value)")
        }
        if let saveInterval { try check(saveInterval >= 1, "--save_interval must be at least 1, got \(saveInterval)") }
        if let outputSize {
            try check(outputSize >= 8 && outputSize.nonzeroBitCount == 1,
                      "--output_size must be a power of two of at least 8, got \(outputSize)")
        }
        try check([1, 2, 4, 8, 16, 32].contains(encoderWidthDivisor),
                  "--encoder_width_divisor must be 1, 2, 4, 8, 16 or 32, got \(encoderWidthDivisor)")
        try check(encoderInputSize >= 32 && encoderInputSize <= 1024 && encoderInputSize.nonzeroBitCount == 1,
                  "--encoder_input_size must be a power of two in 32...1024, got \(encoderInputSize)")
    }

    /// e4e's progressive steps for `styleCount` styles: the given list, or the one `progressive_start` derives; nil
    /// when training is not progressive. Throws unless there is one step per style and the first is 0.
    public func resolvedProgressiveSteps(styleCount: Int) throws -> [Int]? {
        var steps = progressiveSteps
        if let progressiveStart {
            steps = [0] + (0..<(styleCount - 1)).map { progressiveStart + $0 * progressiveStepEvery }
        }
        guard let steps else { return nil }
        guard steps.count == styleCount, steps.first == 0, zip(steps, steps.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw EncoderTrainingError("--progressive_steps must list \(styleCount) ascending steps (one per style), the "
                + "first 0; got \(steps)")
        }
        return steps
    }

    /// The encoder's widths for a generator with `styleDim`-dimensional codes.
    public func encoderConfiguration(styleDim: Int) -> StyleEncoderConfiguration {
        guard encoderWidthDivisor > 1 else {
            var official = encoderType.isResNet ? StyleEncoderConfiguration.resNet34 : .official
            (official.styleDim, official.inputSize) = (styleDim, encoderInputSize)
            return official
        }
        return .narrow(divisor: encoderWidthDivisor, styleDim: styleDim, inputSize: encoderInputSize)
    }
}

/// The encoder methods `stylegan train encoder --method` trains.
public enum EncoderMethod: String, Codable, CaseIterable, Sendable {
    case psp, e4e
    case restylePSP = "restyle-psp"
    case restyleE4E = "restyle-e4e"
    case e2style
    /// CLCAE: `--train_contrastive` (stage 1) or `--train_inversion` (stage 2).
    case clcae
    /// The Feature-Style encoder: trained from its own yaml configuration (`FeatureStyleTrainer`), not these options.
    case featureStyle = "fs"

    /// ReStyle's methods: 6-channel inputs, refinement passes.
    public var isReStyle: Bool { self == .restylePSP || self == .restyleE4E }

    /// The methods trained with e4e's latent discriminator and progressive deltas.
    public var hasE4ERegularizers: Bool { self == .e4e || self == .restyleE4E }

    /// The `--encoder_type`s its official code builds.
    public var encoderTypes: [EncoderTrainingConfig.EncoderType] {
        switch self {
        case .psp: [.gradualStyleEncoder, .backboneEncoderUsingLastLayerIntoW, .backboneEncoderUsingLastLayerIntoWPlus]
        case .e4e: [.encoder4Editing, .gradualStyleEncoder]
        case .restylePSP: [.backboneEncoder, .gradualStyleEncoder, .resNetBackboneEncoder]
        case .restyleE4E: [.progressiveBackboneEncoder, .resNetProgressiveBackboneEncoder]
        case .e2style: [.backboneEncoderFirstStage]
        case .clcae: [.gradualStyleEncoder]
        case .featureStyle: []
        }
    }

    /// The first of `encoderTypes` (the Feature-Style encoder has none of these: pSp's, which validation refuses).
    public var defaultEncoderType: EncoderTrainingConfig.EncoderType { encoderTypes.first ?? .gradualStyleEncoder }
}

/// A setting an encoder run cannot use, a file it cannot read, or a checkpoint that does not fit it.
public struct EncoderTrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension EncoderTrainingConfig.OptimizerName {
    /// The optimiser over `parameters`: Ranger (its own betas (0.95, 0.999) unless given) or Adam ((0.9, 0.999)).
    public func make(_ parameters: [Tensor], lr: Double, betas: (Double, Double)? = nil, weightDecay: Double = 0) throws
        -> any Optimizer
    {
        switch self {
        case .ranger: try Ranger(parameters, lr: lr, betas: betas ?? (0.95, 0.999), weightDecay: weightDecay)
        case .adam: try Adam(parameters, lr: lr, betas: betas ?? (0.9, 0.999), weightDecay: weightDecay)
        }
    }
}

extension EncoderTrainingConfig.EncoderType {
    /// ReStyle's ResNet-34 encoders (their trunk starts from torchvision's `resnet34` weights with `--encoder_init`).
    public var isResNet: Bool { self == .resNetBackboneEncoder || self == .resNetProgressiveBackboneEncoder }
}

extension EncoderTrainingConfig {
    /// The CLCAE encoders of this run for `decoder`: the trunk (`encoderConfiguration`; official: IR-SE50 on 256-pixel
    /// images), the feature of layer `idx_k`, the ablation flags.
    public func clcaeDesign(for decoder: StyleGAN2Generator) throws -> CLCAE.Design {
        let layer = idxK ?? FeatureStyleEncoder.featureLayer
        guard (1..<decoder.numLayers).contains(layer) else {
            throw EncoderTrainingError("--idx_k \(layer) is not a layer of the \(decoder.config.size)-pixel generator "
                + "(1...\(decoder.numLayers - 1))")
        }
        let design = CLCAE.Design(trunk: encoderConfiguration(styleDim: decoder.config.styleDim),
                                  featureChannels: decoder.channels(ofLayer: layer), featureSize: decoder.resolution(ofLayer: layer),
                                  forFeature: !notForFeature, featureAttention: !noFeatureAttention, wAttention: !noWAttention,
                                  decodedQuery: noRes, forWW: !notForWW)
        do { try design.validate() } catch {
            throw EncoderTrainingError("CLCAE encoders for the \(decoder.config.size)-pixel generator "
                + "(\(decoder.config.styleDim)-dimensional codes, layer \(layer) \(design.featureChannels)x\(design.featureSize)) "
                + "with --encoder_width_divisor \(encoderWidthDivisor), --encoder_input_size \(encoderInputSize): \(error)")
        }
        return design
    }

    /// CLCAE's stages and their options.
    func validateCLCAE() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw EncoderTrainingError(message) } }
        try check(trainContrastive != trainInversion, "CLCAE trains in two stages: give --train_contrastive (stage 1) or "
            + "--train_inversion (stage 2)")
        try check(useNorm, "CLCAE: give --use_norm (every published CLCAE command does; unnormalised embeddings are not "
            + "trained here)")
        try check(latentEmbeddingDim == 512 && imageEmbeddingDim == 512 && projectionDim == 512,
                  "CLCAE: --latent_embedding_dim, --image_embedding_dim and --projection_dim must be 512 (the published "
                      + "networks')")
        try check(contrastiveLambda >= 0 && featureMatchingLambda >= 0, "CLCAE: loss weights must be at least 0")
        try check(!notForFeature || featureMatchingLambda == 0, "--not_for_feature: the encoder has no feature; set "
            + "--feature_matching_lambda 0")
        try check(!notForFeature || !notForWW || contrastiveLambda == 0, "--not_for_feature with --not_for_ww renders no "
            + "image of w alone for the contrastive term; set --contrastive_lambda 0")
        try check(equalLinearInit == nil || (checkpointPathAf == nil && checkpointPathImage == nil),
                  "--equal_linear_init draws fresh encoders; a run starting from a checkpoint keeps its weights")
        if trainContrastive {
            try check(contrastiveSamples >= batchSize && contrastiveTestBatches >= 1,
                      "--contrastive_samples must hold a batch and --contrastive_test_batches be at least 1")
            try check((checkpointPathImage == nil) == (checkpointPathLatent == nil),
                      "give --checkpoint_path_image and --checkpoint_path_latent together")
            try check(batchSize >= 2, "--batch_size must be at least 2: each pair is contrasted with the batch's others")
        } else {
            try check(contrastiveLambda == 0 || (contrastiveModelImage != nil && contrastiveModelLatent != nil),
                      "--contrastive_lambda needs stage 1's pair: --contrastive_model_image and --contrastive_model_latent "
                          + "(its best_model_image.pt and best_model_latent.pt), or --contrastive_lambda 0")
            try check(contrastiveLambda == 0 || batchSize >= 2, "--contrastive_lambda needs --batch_size of at least 2")
        }
    }
}

extension EncoderMethod {
    /// The trainer of this method for `config` (whose method it must be), its networks and data loaded.
    public func trainer(_ config: EncoderTrainingConfig, device: Device = .cpu) throws -> PSPTrainer {
        guard config.method == self else {
            throw EncoderTrainingError("a \(config.method.rawValue) configuration given to the \(rawValue) trainer")
        }
        if self == .e2style { return try E2StyleTrainer(config, device: device) }
        guard self != .clcae else {
            throw EncoderTrainingError("CLCAE's stages train with CLCAEContrastiveTrainer and CLCAEInversionTrainer")
        }
        return isReStyle ? try ReStyleTrainer(config, device: device) : try PSPTrainer(config, device: device)
    }
}
