import ArgumentParser
import EncoderTraining
import Foundation
import Perception
import StyleGAN
import Torch
import Training

/// `stylegan train encoder DATASET --method psp --outdir RUN --stylegan_weights G`: the official training scripts,
/// flag for flag.
struct TrainEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Train an inversion encoder (pSp's, e4e's, ReStyle's, E2Style's and the Feature-Style encoder's training scripts) for a generator.",
        discussion: """
            DATASET is a folder of PNG/JPEG images (searched recursively; centre-cropped and resized to \
            --encoder_input_size), a StyleGAN2-ADA zip or a rosinality LMDB; --test_dataset the same for validation. \
            The flags are the official ones with their defaults (pSp: --batch_size 4, --learning_rate 1e-4, \
            --optim_name ranger, --lpips_lambda 0.8, --id_lambda 0.1, --l2_lambda 1; e4e adds the latent \
            discriminator, --w_discriminator_lambda 0.1 in its paper, and progressive deltas, --progressive_start; \
            ReStyle refines --n_iters_per_batch 5 times per batch from the average image, its weights default to 0 \
            as in its script; E2Style trains --training_stage k over the stages of --checkpoint_path, with its \
            multi-layer ID and parsing losses, --parse_lambda 1). --method fs trains the Feature-Style encoder from its \
            yaml configuration (--config, the official configs/001.yaml keys; DATASET the real images, --label_path \
            the seeds of its synthetic ones; the loss networks backbone.pth and 79999_iter.pth, or the testbed's, in \
            --weights), writing checkpoint.pth every epoch and enc.pth.tar at the end. --method clcae trains stage 1 \
            (--train_contrastive: pairs drawn from the generator, or DATASET and --test_dataset as official pair \
            folders with image/ and latent/) or stage 2 (--train_inversion). --precision bfloat16 runs the frozen \
            loss networks in bfloat16. \
            The loss networks come from \
            --weights, a folder with alexnet-owt-7be5be79.pth (or vgg16-397923af.pth) and model_ir_se50.pth, or the \
            testbed's (Models/testbed with --lpips_type testbed). The run folder holds checkpoint/NNNNNN.pt in \
            pSp's layout ({state_dict, opts, latent_avg}: the official inference scripts and `stylegan invert` read \
            them) with the optimiser and random state beside it, checkpoint/best_model.pt, log.jsonl, TensorBoard \
            event files and config.json. --resume auto continues exactly as the uninterrupted run would. \
            See docs/training.md.
            """
    )

    @Argument(help: "Training images: a folder, StyleGAN2-ADA zip or rosinality LMDB (none for CLCAE's --train_contrastive, whose pairs come from the generator).")
    var dataset: String?

    @Option(help: "The method: psp, e4e, restyle-psp, restyle-e4e, e2style or fs.")
    var method: EncoderMethod = .psp

    @Option(help: "Run folder (the official --exp_dir).")
    var outdir: OutputFolder

    @Option(name: .customLong("test_dataset"), help: "Validation images (none: no validation, no best_model.pt).")
    var testDataset: String?

    @Option(name: .customLong("source_dataset"), help: "The encoder's inputs, paired with DATASET's targets in sorted order (restoration tasks: degraded images).")
    var sourceDataset: String?

    @Option(name: .customLong("test_source_dataset"), help: "The inputs paired with --test_dataset.")
    var testSourceDataset: String?

    @Option(name: [.customLong("stylegan_weights"), .customLong("stylegan_model_path")],
            help: "The generator (.pt, .pkl or .safetensors).")
    var styleganWeights: String

    @Option(name: .customLong("checkpoint_path"), help: "An encoder checkpoint to start from (encoder, decoder, latent_avg).")
    var checkpointPath: String?

    @Option(name: .customLong("encoder_init"), help: "IR-SE weights for the encoder's trunk (pSp: model_ir_se50.pth).")
    var encoderInit: String?

    @Option(help: "Folder with the loss networks under their published names, or Models/testbed.")
    var weights: String?

    @Option(name: .customLong("dataset_type"), help: "Recorded in opts for the official scripts.")
    var datasetType = "ffhq_encode"

    @Option(name: .customLong("encoder_type"), help: "pSp: GradualStyleEncoder (default), BackboneEncoderUsingLastLayerIntoW, BackboneEncoderUsingLastLayerIntoWPlus; e4e: Encoder4Editing (default), GradualStyleEncoder; restyle-psp: BackboneEncoder (default), GradualStyleEncoder; restyle-e4e: ProgressiveBackboneEncoder.")
    var encoderType: EncoderTrainingConfig.EncoderType?

    @Option(name: .customLong("input_nc"), parsing: .unconditional, help: "Input channels (3; ReStyle 6).")
    var inputNC: Int?

    @Option(name: .customLong("label_nc"), parsing: .unconditional, help: "Label channels (0: images).")
    var labelNC = 0

    @Option(name: [.customLong("output_size"), .customLong("stylegan_size")], parsing: .unconditional,
            help: "The generator's resolution (default: the file's; e4e's --stylegan_size).")
    var outputSize: Int?

    @Option(name: .customLong("batch_size"), parsing: .unconditional, help: "Batch size (pSp: 4; CLCAE: 2).")
    var batchSize: Int?

    @Option(name: .customLong("test_batch_size"), parsing: .unconditional, help: "Validation batch size.")
    var testBatchSize = 2

    @Option(parsing: .unconditional, help: "Background data threads.")
    var workers = 4

    @Option(name: .customLong("test_workers"), parsing: .unconditional, help: "Background data threads for validation.")
    var testWorkers = 2

    @Option(name: .customLong("learning_rate"), parsing: .unconditional, help: "Learning rate.")
    var learningRate = 0.0001

    @Option(name: .customLong("optim_name"), help: "ranger or adam.")
    var optimName: EncoderTrainingConfig.OptimizerName = .ranger

    @Option(name: .customLong("train_decoder"), help: "Train the generator too (true/false).")
    var trainDecoder = false

    @Flag(name: .customLong("start_from_latent_avg"), help: "Add the average latent to the codes.")
    var startFromLatentAvg = false

    @Flag(name: .customLong("learn_in_w"), help: "Learn one w per image (BackboneEncoderUsingLastLayerIntoW).")
    var learnInW = false

    @Option(name: .customLong("lpips_lambda"), parsing: .unconditional, help: "LPIPS weight (pSp, e4e: 0.8; ReStyle: 0).")
    var lpipsLambda: Double?

    @Option(name: .customLong("id_lambda"), parsing: .unconditional, help: "Identity weight (pSp, e4e: 0.1; ReStyle: 0).")
    var idLambda: Double?

    @Option(name: .customLong("id_network"), help: "The identity terms' network: arcface (model_ir_se50.pth, found in --weights; the papers') or dlib (dlib's face-recognition ResNet, installed by make setup).")
    var idNetwork: FaceIdentityNetwork?

    @Option(name: .customLong("dlib_models"), help: "With --id_network dlib: the folder of dlib's model files (default: .deps/dlib-models, or $STYLEGAN_DLIB_MODELS).")
    var dlibModels: String?

    @Option(name: .customLong("l2_lambda"), parsing: .unconditional, help: "L2 weight (pSp, e4e: 1; ReStyle: 0).")
    var l2Lambda: Double?

    @Option(name: .customLong("w_norm_lambda"), parsing: .unconditional, help: "W-norm weight.")
    var wNormLambda = 0.0

    @Option(name: .customLong("lpips_lambda_crop"), parsing: .unconditional, help: "LPIPS weight on the face crop.")
    var lpipsLambdaCrop = 0.0

    @Option(name: .customLong("l2_lambda_crop"), parsing: .unconditional, help: "L2 weight on the face crop.")
    var l2LambdaCrop = 0.0

    @Option(name: .customLong("moco_lambda"), parsing: .unconditional, help: "MoCo identity weight (non-face domains).")
    var mocoLambda = 0.0

    @Option(name: .customLong("lpips_type"), help: "The LPIPS network: alex, vgg or testbed.")
    var lpipsType: LPIPS.Network = .alex

    @Option(help: "What the frozen loss networks (LPIPS, ID, MoCo, parsers) compute in: float32, or bfloat16 (about twice as fast on CPUs with AVX512-BF16 or AMX; images in and features out stay float32, as do the encoder, generator, losses and optimisers).")
    var precision: ComputePrecision = .float32

    @Option(name: .customLong("max_steps"), parsing: .unconditional, help: "Training iterations.")
    var maxSteps = 500_000

    @Option(name: .customLong("image_interval"), parsing: .unconditional, help: "Log images every this many iterations.")
    var imageInterval = 100

    @Option(name: .customLong("board_interval"), parsing: .unconditional, help: "Log losses every this many iterations.")
    var boardInterval = 50

    @Option(name: .customLong("val_interval"), parsing: .unconditional, help: "Validate every this many iterations.")
    var valInterval = 1000

    @Option(name: .customLong("save_interval"), parsing: .unconditional, help: "Checkpoint every this many iterations (default: at the end).")
    var saveInterval: Int?

    @Option(name: .customLong("encoder_width_divisor"), parsing: .unconditional, help: "1: IR-SE50 widths; D: every width / D, one unit per stage.")
    var encoderWidthDivisor = 1

    @Option(name: .customLong("encoder_input_size"), parsing: .unconditional, help: "Side of the images the encoder reads.")
    var encoderInputSize = 256

    @Option(name: .customLong("w_discriminator_lambda"), parsing: .unconditional, help: "e4e: weight of the latent discriminator's loss (0: none).")
    var wDiscriminatorLambda = 0.0

    @Option(name: .customLong("w_discriminator_lr"), parsing: .unconditional, help: "e4e: the latent discriminator's Adam learning rate.")
    var wDiscriminatorLr = 2e-5

    @Option(parsing: .unconditional, help: "e4e: R1 weight of the latent discriminator.")
    var r1 = 10.0

    @Option(name: .customLong("d_reg_every"), parsing: .unconditional, help: "e4e: R1 every this many iterations.")
    var dRegEvery = 16

    @Flag(name: .customLong("use_w_pool"), help: "e4e: feed the discriminator through code pools.")
    var useWPool = false

    @Option(name: .customLong("w_pool_size"), parsing: .unconditional, help: "e4e: codes each pool holds.")
    var wPoolSize = 50

    @Option(name: .customLong("delta_norm"), parsing: .unconditional, help: "e4e: p of the deltas' norm.")
    var deltaNorm = 2

    @Option(name: .customLong("delta_norm_lambda"), parsing: .unconditional, help: "e4e: weight of the delta norms.")
    var deltaNormLambda = 2e-4

    @Option(name: .customLong("progressive_steps"), parsing: .upToNextOption, help: "e4e: the step each stage starts at, one per style, the first 0.")
    var progressiveSteps: [Int] = []

    @Option(name: .customLong("progressive_start"), parsing: .unconditional, help: "e4e: the step the first delta starts at.")
    var progressiveStart: Int?

    @Option(name: .customLong("progressive_step_every"), parsing: .unconditional, help: "e4e: steps between deltas.")
    var progressiveStepEvery = 2000

    @Flag(name: .customLong("save_training_data"), help: "e4e: also write e4e's training keys into checkpoints.")
    var saveTrainingData = false

    @Flag(name: .customLong("keep_optimizer"), help: "e4e: with --resume_training_from_ckpt, take its optimiser state.")
    var keepOptimizer = false

    @Option(name: .customLong("resume_training_from_ckpt"), help: "e4e: continue an e4e training checkpoint (--save_training_data).")
    var resumeTrainingFromCkpt: String?

    @Option(name: .customLong("resize_factors"), help: "pSp's super-resolution task: the factors sources are shrunk by (e.g. 1,2,4,8,16,32).")
    var resizeFactors: String?

    @Option(name: .customLong("n_iters_per_batch"), parsing: .unconditional, help: "ReStyle: refinement passes per batch.")
    var nItersPerBatch = 5

    @Option(name: .customLong("training_stage"), parsing: .unconditional, help: "E2Style: the stage to train (k > 1 refines the stages of --checkpoint_path).")
    var trainingStage = 1

    @Option(name: .customLong("parse_lambda"), parsing: .unconditional, help: "E2Style: weight of the parsing loss.")
    var parseLambda = 1.0

    @Option(help: "fs: the official trainer's yaml configuration (configs/001.yaml; default: its values).")
    var config: String?

    @Option(name: .customLong("label_path"), help: "fs: a NumPy array of seeds; each synthetic sample's z and noise come from its seed, as the official dataset draws them (default: from the run's seed).")
    var labelPath: String?

    @Option(name: .customLong("arcface_model_path"), help: "fs: the identity network (arcface_torch's backbone.pth, model_ir_se50.pth or the testbed's identity.safetensors; default: found in --weights).")
    var arcfaceModelPath: String?

    @Option(name: .customLong("parsing_model_path"), help: "fs: BiSeNet (79999_iter.pth or the testbed's bisenet.safetensors; default: found in --weights).")
    var parsingModelPath: String?

    @Flag(name: .customLong("train_contrastive"), help: "clcae: stage 1, the image and latent encoders' contrastive alignment.")
    var trainContrastive = false

    @Flag(name: .customLong("train_inversion"), help: "clcae: stage 2, the inversion encoder with the alignment loss.")
    var trainInversion = false

    @Option(name: .customLong("contrastive_lambda"), parsing: .unconditional, help: "clcae: weight of the contrastive alignment loss.")
    var contrastiveLambda = 0.1

    @Flag(name: .customLong("use_norm"), help: "clcae: L2-normalise the embeddings (every published command passes it).")
    var useNorm = false

    @Option(name: .customLong("latent_embedding_dim"), parsing: .unconditional, help: "clcae: 512.")
    var latentEmbeddingDim = 512

    @Option(name: .customLong("image_embedding_dim"), parsing: .unconditional, help: "clcae: 512.")
    var imageEmbeddingDim = 512

    @Option(name: .customLong("projection_dim"), parsing: .unconditional, help: "clcae: 512.")
    var projectionDim = 512

    @Option(name: .customLong("checkpoint_path_image"), help: "clcae stage 1: the image encoder to start from.")
    var checkpointPathImage: String?

    @Option(name: .customLong("checkpoint_path_latent"), help: "clcae stage 1: the latent encoder to start from.")
    var checkpointPathLatent: String?

    @Option(name: .customLong("checkpoint_path_af"), help: "clcae stage 2: an inversion model to start from.")
    var checkpointPathAf: String?

    @Option(name: .customLong("feature_matching_lambda"), parsing: .unconditional, help: "clcae: weight of the feature term.")
    var featureMatchingLambda = 0.01

    @Option(name: .customLong("multi_scale_lpips"), help: "clcae: as its coach (true: LPIPS of the renders; false: none).")
    var multiScaleLpips = true

    @Flag(name: .customLong("not_for_feature"), help: "clcae ablation: no feature branch (W+ only).")
    var notForFeature = false

    @Flag(name: .customLong("not_for_ww"), help: "clcae ablation, with --not_for_feature: the reconstruction renders w on every row, not w+.")
    var notForWW = false

    @Flag(name: .customLong("no_feature_attention"), help: "clcae ablation: two strided convs on p1 instead of the F cross attention.")
    var noFeatureAttention = false

    @Flag(name: .customLong("no_w_attention"), help: "clcae ablation: the rows' codes without their cross attention, as offsets.")
    var noWAttention = false

    @Flag(name: .customLong("no_res"), help: "clcae ablation: the F cross attention attends to a map decoded from w, not w itself.")
    var noRes = false

    @Option(name: .customLong("contrastive_model_image"), help: "clcae stage 2: stage 1's best_model_image.pt.")
    var contrastiveModelImage: String?

    @Option(name: .customLong("contrastive_model_latent"), help: "clcae stage 2: stage 1's best_model_latent.pt.")
    var contrastiveModelLatent: String?

    @Option(name: .customLong("idx_k"), parsing: .unconditional, help: "clcae: the generator layer the feature replaces (5).")
    var idxK: Int?

    @Option(name: .customLong("equal_linear_init"), help: "clcae, fresh encoders: official (N(0, 0.02), as its init_weights; the w head starts near zero) or own (the layer's unit-gain draw, as pSp's).")
    var equalLinearInit: CLCAEEqualLinearInit?

    @Option(name: .customLong("max_epoch"), parsing: .unconditional, help: "clcae: recorded (its coaches stop at --max_steps).")
    var maxEpoch = 80

    @Option(name: .customLong("contrastive_samples"), parsing: .unconditional, help: "clcae stage 1: image-latent pairs drawn from the generator (when DATASET is not a pair folder).")
    var contrastiveSamples = 50_000

    @Option(name: .customLong("contrastive_test_batches"), parsing: .unconditional, help: "clcae stage 1: validation batches of --test_batch_size generated pairs (a --test_dataset pair folder: all its full batches).")
    var contrastiveTestBatches = 8

    @Option(parsing: .unconditional, help: "Seed of the weights, data order, flips and noise.")
    var seed = 0

    @Option(help: "auto (the run's last checkpoint, or fresh) or a checkpoint file of this run.")
    var resume: String?

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    var options: EncoderTrainingConfig {
        var c = EncoderTrainingConfig(method: method, dataset: dataset ?? "", styleganWeights: styleganWeights)
        (c.testDataset, c.datasetType, c.sourceDataset, c.testSourceDataset) = (testDataset, datasetType, sourceDataset, testSourceDataset)
        if let encoderType { c.encoderType = encoderType }
        (c.labelNC, c.outputSize, c.nItersPerBatch) = (labelNC, outputSize, nItersPerBatch)
        (c.trainingStage, c.parseLambda, c.resizeFactors) = (trainingStage, parseLambda, resizeFactors)
        if let inputNC { c.inputNC = inputNC }
        if let lpipsLambda { c.lpipsLambda = lpipsLambda }
        if let idLambda { c.idLambda = idLambda }
        if let l2Lambda { c.l2Lambda = l2Lambda }
        if let batchSize { c.batchSize = batchSize }
        (c.testBatchSize, c.workers, c.testWorkers) = (testBatchSize, workers, testWorkers)
        (c.learningRate, c.optimName, c.trainDecoder) = (learningRate, optimName, trainDecoder)
        (c.startFromLatentAvg, c.learnInW) = (startFromLatentAvg, learnInW)
        c.wNormLambda = wNormLambda
        (c.lpipsLambdaCrop, c.l2LambdaCrop, c.mocoLambda, c.lpipsType) = (lpipsLambdaCrop, l2LambdaCrop, mocoLambda, lpipsType)
        c.precision = precision
        (c.checkpointPath, c.encoderInit, c.weights) = (checkpointPath, encoderInit, weights)
        (c.maxSteps, c.imageInterval, c.boardInterval) = (maxSteps, imageInterval, boardInterval)
        (c.valInterval, c.saveInterval, c.seed) = (valInterval, saveInterval, UInt64(clamping: seed))
        (c.encoderWidthDivisor, c.encoderInputSize) = (encoderWidthDivisor, encoderInputSize)
        (c.wDiscriminatorLambda, c.wDiscriminatorLr, c.r1, c.dRegEvery) = (wDiscriminatorLambda, wDiscriminatorLr, r1, dRegEvery)
        (c.useWPool, c.wPoolSize, c.deltaNorm, c.deltaNormLambda) = (useWPool, wPoolSize, deltaNorm, deltaNormLambda)
        (c.progressiveStart, c.progressiveStepEvery) = (progressiveStart, progressiveStepEvery)
        c.progressiveSteps = progressiveSteps.isEmpty ? nil : progressiveSteps
        (c.saveTrainingData, c.keepOptimizer) = (saveTrainingData, keepOptimizer)
        (c.trainContrastive, c.trainInversion, c.contrastiveLambda, c.useNorm) = (trainContrastive, trainInversion, contrastiveLambda, useNorm)
        (c.latentEmbeddingDim, c.imageEmbeddingDim, c.projectionDim) = (latentEmbeddingDim, imageEmbeddingDim, projectionDim)
        (c.checkpointPathImage, c.checkpointPathLatent, c.checkpointPathAf) = (checkpointPathImage, checkpointPathLatent, checkpointPathAf)
        (c.featureMatchingLambda, c.multiScaleLpips, c.notForFeature, c.notForWW) = (featureMatchingLambda, multiScaleLpips, notForFeature, notForWW)
        (c.noFeatureAttention, c.noWAttention, c.noRes) = (noFeatureAttention, noWAttention, noRes)
        (c.contrastiveModelImage, c.contrastiveModelLatent, c.idxK, c.maxEpoch) = (contrastiveModelImage, contrastiveModelLatent, idxK, maxEpoch)
        c.equalLinearInit = equalLinearInit
        (c.idNetwork, c.dlibModels) = (idNetwork, dlibModels)
        (c.contrastiveSamples, c.contrastiveTestBatches) = (contrastiveSamples, contrastiveTestBatches)
        return c
    }

    var resumption: Resume {
        if let resumeTrainingFromCkpt { return .checkpoint(path: resumeTrainingFromCkpt) }
        return switch resume {
        case nil: .fresh
        case "auto": .auto
        case let path?: .checkpoint(path: path)
        }
    }

    func validate() throws {
        try Seed.check("--seed", seed)
        if dataset == nil, !(method == .clcae && trainContrastive) {
            throw ValidationError("give the training images (DATASET)")
        }
        if dlibModels != nil, idNetwork != .dlib { throw ValidationError("--dlib_models goes with --id_network dlib") }
        if method == .featureStyle {
            _ = try featureStyleConfig()
            if idNetwork == .dlib, arcfaceModelPath != nil {
                throw ValidationError("give --id_network dlib or --arcface_model_path, not both")
            }
        } else {
            do { try options.validate() } catch let error as EncoderTrainingError { throw ValidationError(error.description) }
        }
        if resume != nil, resumeTrainingFromCkpt != nil { throw ValidationError("give --resume or --resume_training_from_ckpt, not both") }
        if resumeTrainingFromCkpt != nil, method != .e4e { throw ValidationError("--resume_training_from_ckpt is e4e's (--method e4e)") }
        for (flag, path) in [("--stylegan_weights", styleganWeights), ("--checkpoint_path", checkpointPath),
                             ("--encoder_init", encoderInit), ("", dataset), ("--test_dataset", testDataset),
                             ("--checkpoint_path_image", checkpointPathImage), ("--checkpoint_path_latent", checkpointPathLatent),
                             ("--checkpoint_path_af", checkpointPathAf), ("--contrastive_model_image", contrastiveModelImage),
                             ("--contrastive_model_latent", contrastiveModelLatent),
                             ("--resume_training_from_ckpt", resumeTrainingFromCkpt), ("--source_dataset", sourceDataset),
                             ("--test_source_dataset", testSourceDataset), ("--config", config), ("--label_path", labelPath),
                             ("--arcface_model_path", arcfaceModelPath), ("--parsing_model_path", parsingModelPath)]
        {
            if let path, !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("\(path): no such file or folder" + (flag.isEmpty ? "" : " (\(flag))"))
            }
        }
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let device = try self.device.resolve()
        if method == .featureStyle { return try trainFeatureStyle(device: device) }
        if method == .clcae { return try trainCLCAE(device: device) }
        let config = options
        let trainer: PSPTrainer
        do {
            trainer = try config.method.trainer(config, device: device)
        } catch let error as EncoderTrainingError {
            throw CLIError(error.description)
        }
        let run = RunDirectory(path: outdir.path)
        trainer.bestModelFolder = run.checkpointFolder
        let options = TrainingOptions(iterations: config.maxSteps, checkpointEvery: config.saveInterval ?? config.maxSteps,
                                      sampleEvery: nil, evaluateEvery: config.testDataset == nil ? nil : config.valInterval,
                                      logEvery: config.boardInterval, resume: resumption)
        let progress: ProgressMode = runtime.quiet ? .quiet : .automatic
        let outcome = try TrainingLoop(run: run, options: options, progress: progress)
            .train(trainer, config: EncoderTrainingRecord(training: config, loop: options))
        print(outcome.summary)
    }
}

extension FaceIdentityNetwork: ExpressibleByArgument {}

extension TrainEncoder {
    /// The Feature-Style configuration: `--config`'s file, or the official values.
    func featureStyleConfig() throws -> FeatureStyleTrainingConfig {
        guard let config else { return .official }
        do { return try FeatureStyleTrainingConfig.load(yaml: config) } catch let error as EncoderTrainingError {
            throw ValidationError(error.description)
        }
    }

    /// The Feature-Style encoder's `train.py`: epochs x iter_per_epoch iterations, a checkpoint every epoch (or
    /// --save_interval), `checkpoint.pth` and `enc.pth.tar` in the run folder.
    func trainFeatureStyle(device: Device) throws {
        let config = try featureStyleConfig()
        let trainer: FeatureStyleTrainer
        do {
            let identity = try idNetwork == .dlib ? DlibModels.locate(dlibModels).requireFaceRecognition() : arcfaceModelPath
            let networks = try FeatureStyleLossNetworks.load(for: config, folder: weights, arcface: identity,
                                                             parsing: parsingModelPath, lpipsType: lpipsType,
                                                             precision: precision, device: device)
            trainer = try FeatureStyleTrainer(config, styleganWeights: styleganWeights, realImages: dataset ?? "",
                                              labelPath: labelPath, networks: networks, seed: UInt64(clamping: seed),
                                              workers: workers, device: device)
        } catch let error as EncoderTrainingError {
            throw CLIError(error.description)
        } catch let error as DlibError {
            throw CLIError(error.description)
        }
        let run = RunDirectory(path: outdir.path)
        trainer.runFolder = run.path
        let options = TrainingOptions(iterations: config.iterations, checkpointEvery: saveInterval ?? config.iterPerEpoch,
                                      sampleEvery: nil, evaluateEvery: nil, logEvery: config.logIter, resume: resumption)
        let outcome = try TrainingLoop(run: run, options: options, progress: runtime.quiet ? .quiet : .automatic)
            .train(trainer, config: FeatureStyleTrainingRecord(training: config, realImages: dataset ?? "", labelPath: labelPath,
                                                               styleganWeights: styleganWeights, seed: seed, loop: options))
        print(outcome.summary)
    }
}

extension TrainEncoder {
    /// CLCAE's `scripts/train.py`: the contrastive coach (`--train_contrastive`) or the inversion coach
    /// (`--train_inversion`).
    func trainCLCAE(device: Device) throws {
        let config = options
        let trainer: any Trainer
        do {
            if config.trainContrastive {
                let contrastive = try CLCAEContrastiveTrainer(config, device: device)
                contrastive.checkpointFolder = RunDirectory(path: outdir.path).checkpointFolder
                trainer = contrastive
            } else {
                let inversion = try CLCAEInversionTrainer(config, device: device)
                inversion.checkpointFolder = RunDirectory(path: outdir.path).checkpointFolder
                trainer = inversion
            }
        } catch let error as EncoderTrainingError {
            throw CLIError(error.description)
        }
        let options = TrainingOptions(iterations: config.maxSteps, checkpointEvery: config.saveInterval ?? config.maxSteps,
                                      sampleEvery: nil, evaluateEvery: config.trainContrastive ? config.valInterval : nil,
                                      logEvery: config.boardInterval, resume: resumption)
        let outcome = try TrainingLoop(run: RunDirectory(path: outdir.path), options: options,
                                       progress: runtime.quiet ? .quiet : .automatic)
            .train(trainer, config: EncoderTrainingRecord(training: config, loop: options))
        print(outcome.summary)
    }
}

/// What a Feature-Style run's `config.json` holds.
struct FeatureStyleTrainingRecord: Encodable {
    let training: FeatureStyleTrainingConfig
    let realImages: String
    let labelPath: String?
    let styleganWeights: String
    let seed: Int
    let loop: TrainingOptions
}

/// What `config.json` holds: the method's settings and the loop's.
struct EncoderTrainingRecord: Encodable {
    let training: EncoderTrainingConfig
    let loop: TrainingOptions
}

extension EncoderMethod: ExpressibleByArgument {}
extension EncoderTrainingConfig.EncoderType: ExpressibleByArgument {}
extension EncoderTrainingConfig.OptimizerName: ExpressibleByArgument {}
extension CLCAEEqualLinearInit: ExpressibleByArgument {}
extension LPIPS.Network: ExpressibleByArgument {}
