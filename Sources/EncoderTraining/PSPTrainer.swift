import Checkpoints
import Data
import Encoders
import Foundation
import StyleGAN
import Torch
import Training

/// pSp's `training/coach.py` as a `Trainer`: each iteration encodes a batch, renders the codes (plus `latent_avg`
/// with `start_from_latent_avg`) with fresh noise, pools the image to the encoder's input size (`face_pool`) and
/// steps Ranger or Adam on `calc_loss` (`EncoderLoss`) over the encoder's parameters, and the generator's with
/// `train_decoder`. Every `val_interval` iterations the test set is scored in eval mode and the best weights go to
/// `checkpoint/best_model.pt`.
///
/// Checkpoints hold pSp's `{state_dict, opts, latent_avg}` (so the official inference scripts and
/// `EncoderCheckpoint.load` read them) and, under `stylegankit`, the optimiser, the random stream, the data order
/// and the best validation loss, so a resumed run continues exactly as the uninterrupted one.
///
/// e4e's additions (`E4ERegularizers`) join with `--method e4e` (and ReStyle's e4e flavour); ReStyle's passes
/// subclass it (`ReStyleTrainer`).
public class PSPTrainer: Trainer {
    public let config: EncoderTrainingConfig
    /// The encoder's widths, its style dimension the generator's.
    public let widths: StyleEncoderConfiguration
    public let encoder: any StyleCodeNetwork
    public let decoder: StyleGAN2Generator
    /// The average w [D] (the generator file's `latent_avg`, else the mean of mapping(z)).
    public let latentAvg: Tensor
    public let device: Device
    let loss: EncoderLoss
    let optimizer: any Optimizer
    let dataset: ImageDataset
    private(set) var loader: DataLoader
    let testDataset: ImageDataset?
    /// Paired sources (`source_dataset`), read in the targets' order; nil: the sources are the targets (or their
    /// degraded copies).
    let sourceDataset: ImageDataset?
    private(set) var sourceLoader: DataLoader?
    let testSourceDataset: ImageDataset?
    let rng: Torch.Generator
    /// The lowest validation loss so far (pSp's `best_val_loss`).
    var bestValidationLoss: Double?
    /// Where `best_model.pt` goes; nil: not written (tests of the step alone).
    public var bestModelFolder: String?
    /// e4e's latent discriminator and progressive deltas, for the methods that have them.
    public let e4e: E4ERegularizers?
    /// The super-resolution task's source transform (`--resize_factors`); nil for inversion.
    public let superResolution: SuperResolution?
    /// E2Style's restoration task of `dataset_type` (colourisation, denoising, inpainting); nil for the others.
    public let degradation: Degradation?

    public var batchSize: Int { config.batchSize }
    public var checkpointExtension: String { "pt" }

    /// The generator's resolution, which `output_size` must match.
    public var outputSize: Int { decoder.config.size }

    /// Builds the encoder (random, or from `encoder_init` / `checkpoint_path`), loads the generator, the loss
    /// networks (`networks`, else from `config.weights`) and the data; nothing is trained yet.
    public convenience init(_ config: EncoderTrainingConfig, networks: EncoderLossNetworks? = nil, device: Device = .cpu)
        throws
    {
        let (generator, file) = try Self.start(config, device: device)
        let decoder = generator.generator
        let widths = config.encoderConfiguration(styleDim: decoder.config.styleDim)
        let encoder = try Self.makeEncoder(config, widths: widths, styleCount: decoder.nLatent)
        let initial = try SeededInitialization.generator(seed: config.seed)
        try SeededInitialization.apply(encoder, generator: initial)
        if let file {
            try file.load(encoder, prefix: "encoder.", as: "the \(config.encoderType.rawValue) of --checkpoint_path")
        } else if let path = config.encoderInit, config.encoderType.isResNet {
            try Self.loadResNetLayers(encoder, from: path)
        } else if let path = config.encoderInit {
            // pSp skips the RGB input layer for label-map inputs.
            try Self.loadTrunk(encoder, from: path, inputLayer: config.labelNC == 0, generator: initial)
        }
        try self.init(config, encoder: encoder, widths: widths, decoder: decoder,
                      latentAvg: file?.latentAvg ?? generator.latentAvg,
                      networks: networks ?? EncoderLossNetworks.load(for: config, device: device), device: device)
    }

    /// A run of these networks: `encoder` (built for `widths`, in training mode) and `decoder`, with the average w
    /// as [D], [1, D] or [L, D]. Opens the datasets and builds the optimiser.
    init(_ config: EncoderTrainingConfig, encoder: any StyleCodeNetwork, widths: StyleEncoderConfiguration,
         decoder: StyleGAN2Generator, latentAvg: Tensor, networks: EncoderLossNetworks, device: Device) throws
    {
        try config.validate()
        self.config = config
        self.device = device
        self.widths = widths
        self.encoder = encoder
        self.decoder = decoder
        rng = try Torch.Generator(seed: config.seed)
        self.latentAvg = try Self.averageRow(latentAvg).to(device: device)
        e4e = config.method.hasE4ERegularizers
            ? try E4ERegularizers(config, decoder: decoder, generator: SeededInitialization.generator(seed: config.seed &+ 1),
                                  device: device)
            : nil
        superResolution = try config.resizeFactors.map(SuperResolution.init(factors:))
        degradation = config.sourceDataset == nil ? Degradation(datasetType: config.datasetType) : nil
        try encoder.to(device: device)
        try decoder.to(device: device)
        try decoder.requiresGrad(config.trainDecoder)
        loss = EncoderLoss(weights: config.lossWeights, networks: networks, multiLayerIdentity: config.method == .e2style)
        let parameters = encoder.parameters() + (config.trainDecoder ? decoder.parameters() : [])
        optimizer = try config.optimName.make(parameters, lr: config.learningRate)

        // The official transforms resize every image to the encoder's input (`transforms.Resize`), whatever its size.
        func open(_ path: String) throws -> ImageDataset {
            try ImageDataset.open(path, options: DatasetOptions(size: widths.inputSize, fit: .centerCropResize, allowUpscale: true))
        }
        dataset = try open(config.dataset)
        guard dataset.count >= config.batchSize else {
            throw EncoderTrainingError("\(config.dataset): \(dataset.count) images, fewer than one batch of "
                + "\(config.batchSize)")
        }
        loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config), seed: config.seed)
        testDataset = try config.testDataset.map(open)
        if let testDataset, testDataset.count < config.testBatchSize {
            throw EncoderTrainingError("\(config.testDataset ?? ""): \(testDataset.count) images, fewer than one test "
                + "batch of \(config.testBatchSize)")
        }
        func sources(_ path: String?, pairedWith targets: ImageDataset?, _ targetPath: String?) throws -> ImageDataset? {
            guard let path, let targets else { return nil }
            let sources = try open(path)
            guard sources.count == targets.count else {
                throw EncoderTrainingError("\(path): \(sources.count) sources for the \(targets.count) targets of "
                    + "\(targetPath ?? ""); sources and targets pair in sorted order, one each")
            }
            return sources
        }
        sourceDataset = try sources(config.sourceDataset, pairedWith: dataset, config.dataset)
        testSourceDataset = try sources(config.testSourceDataset, pairedWith: testDataset, config.testDataset)
        // The same options and seed give the same order: each source meets its target.
        sourceLoader = try sourceDataset.map { try DataLoader(dataset: $0, options: Self.loaderOptions(config), seed: config.seed) }
    }

    /// What a run starts from: the generator (`stylegan_weights`, or the decoder of `checkpoint_path`,
    /// whose file comes back too), checked against `output_size`.
    static func start(_ config: EncoderTrainingConfig, device: Device) throws -> (LoadedGenerator, EncoderCheckpointFile?) {
        try config.validate()
        let generator: LoadedGenerator
        var file: EncoderCheckpointFile?
        if let path = config.checkpointPath {
            file = try EncoderCheckpointFile(path: path)
            guard let held = try file?.generator(device: device) else {
                throw EncoderTrainingError("\(path): holds no decoder.* generator to continue from")
            }
            generator = held
        } else {
            generator = try GeneratorCheckpoint.load(config.styleganWeights, device: device)
        }
        let size = generator.generator.config.size
        if let outputSize = config.outputSize, outputSize != size {
            throw EncoderTrainingError("--output_size \(outputSize) does not match the generator in "
                + "\(config.checkpointPath ?? config.styleganWeights) (\(size) px)")
        }
        return (generator, file)
    }

    /// pSp's train loader: shuffled, drop_last, each target flipped with probability 0.5 (`RandomHorizontalFlip`);
    /// paired sources and targets are not flipped (the restoration tasks' transforms have no flip).
    static func loaderOptions(_ config: EncoderTrainingConfig) -> DataLoaderOptions {
        DataLoaderOptions(batchSize: config.batchSize, shuffle: true, flip: config.sourceDataset == nil ? .random : .none,
                          threads: config.workers)
    }

    /// The encoder `encoder_type` names, for `styleCount` rows of `widths` (training mode).
    static func makeEncoder(_ config: EncoderTrainingConfig, widths: StyleEncoderConfiguration, styleCount: Int) throws
        -> any StyleCodeNetwork
    {
        let network: any StyleCodeNetwork = switch config.encoderType {
        case .gradualStyleEncoder:
            try GradualStyleEncoder(inputChannels: config.inputNC, styleCount: styleCount, configuration: widths)
        case .encoder4Editing:
            try GradualStyleEncoder(inputChannels: config.inputNC, styleCount: styleCount, readout: .e4eInference,
                                    configuration: widths)
        case .backboneEncoder:
            try ReStyleBackboneEncoder(inputChannels: config.inputNC, styleCount: styleCount, configuration: widths)
        case .progressiveBackboneEncoder:
            try ReStyleBackboneEncoder(inputChannels: config.inputNC, styleCount: styleCount, readout: .e4eInference,
                                       configuration: widths)
        case .resNetBackboneEncoder:
            try ReStyleResNetEncoder(inputChannels: config.inputNC, styleCount: styleCount, configuration: widths)
        case .resNetProgressiveBackboneEncoder:
            try ReStyleResNetEncoder(inputChannels: config.inputNC, styleCount: styleCount, readout: .e4eInference,
                                     configuration: widths)
        case .backboneEncoderFirstStage:
            try E2StyleStageEncoder(inputChannels: config.inputNC, heads: .scaled(styleCount: styleCount), configuration: widths)
        case .backboneEncoderUsingLastLayerIntoW:
            try BackboneEncoderUsingLastLayerIntoW(inputChannels: config.inputNC, styleCount: styleCount, configuration: widths)
        case .backboneEncoderUsingLastLayerIntoWPlus:
            try BackboneEncoderUsingLastLayerIntoWPlus(inputChannels: config.inputNC, styleCount: styleCount,
                                                       configuration: widths)
        }
        network.train()
        return network
    }

    /// pSp's start from `model_ir_se50.pth`: the file's `input_layer.*` (unless `inputLayer` is false, as E2Style's
    /// refinement stages start) and `body.*` into the encoder's trunk (its `output_layer.*` is the face-recognition
    /// head, unused). Every trunk tensor must be there with the encoder's shape.
    static func loadTrunk(_ encoder: any StyleCodeNetwork, from path: String, inputLayer: Bool = true,
                          generator: Torch.Generator) throws
    {
        let weights: [String: Tensor]
        do {
            weights = try (path.lowercased().hasSuffix(".safetensors") ? Safetensors.read(path).tensors.dictionary
                : TorchCheckpoint.load(path).stateDict().dictionary)
        } catch {
            throw EncoderTrainingError("\(path): cannot read IR-SE weights for --encoder_init: \(error)")
        }
        let own = try encoder.stateDict().dictionary
        var trunk: [String: Tensor] = [:]
        var problems: [String] = []
        for (key, tensor) in own.sorted(by: { $0.key < $1.key })
            where (inputLayer && key.hasPrefix("input_layer.")) || key.hasPrefix("body.")
        {
            guard let given = weights[key] ?? weights["module." + key] else { problems.append("missing \(key)"); continue }
            if key == "input_layer.0.weight", given.rank == 4, tensor.rank == 4, given.size(1) == 3, tensor.size(1) > 3,
               Array(given.shape.prefix(1) + given.shape.suffix(2)) == Array(tensor.shape.prefix(1) + tensor.shape.suffix(2))
            {
                // ReStyle: the RGB filters for the image, N(0, 1) ones for the reconstruction channels.
                let extra = [tensor.size(0), tensor.size(1) - 3] + Array(tensor.shape.suffix(2))
                trunk[key] = try Tensor.cat([given, Tensor.randn(extra, generator: generator)], dim: 1)
                continue
            }
            guard given.shape == tensor.shape else {
                problems.append("\(key): \(given.shape) in the file, \(tensor.shape) in the encoder")
                continue
            }
            trunk[key] = given
        }
        guard problems.isEmpty else {
            throw EncoderTrainingError("\(path): does not fit the encoder's trunk (--encoder_init):\n  "
                + problems.joined(separator: "\n  "))
        }
        _ = try encoder.load(stateDict: trunk, strict: false)
    }

    /// ReStyle's start of its ResNet encoders from torchvision's `resnet34` (ImageNet) weights: `layer1`...`layer4`
    /// into `body` in order (`conv1`, `bn1` and the PReLU are the encoder's own, built for its input channels, as
    /// ReStyle builds them). Every block tensor must be there with the encoder's shape.
    static func loadResNetLayers(_ encoder: any StyleCodeNetwork, from path: String) throws {
        let weights: [String: Tensor]
        do {
            weights = try (path.lowercased().hasSuffix(".safetensors") ? Safetensors.read(path).tensors.dictionary
                : TorchCheckpoint.load(path).stateDict().dictionary)
        } catch {
            throw EncoderTrainingError("\(path): cannot read ResNet weights for --encoder_init: \(error)")
        }
        guard let resNet = encoder as? ReStyleResNetEncoder else { return }
        var blocks: [(file: String, ours: Int)] = []
        for (stage, depth) in resNet.configuration.stages.enumerated() {
            for b in 0..<depth.units { blocks.append(("layer\(stage + 1).\(b).", blocks.count)) }
        }
        var layers: [String: Tensor] = [:]
        var problems: [String] = []
        let own = try encoder.stateDict().dictionary
        for (prefix, index) in blocks {
            for (key, tensor) in own where key.hasPrefix("body.\(index).") {
                let name = prefix + key.dropFirst("body.\(index).".count)
                guard let given = weights[name] else { problems.append("missing \(name)"); continue }
                guard given.shape == tensor.shape else {
                    problems.append("\(name): \(given.shape) in the file, \(tensor.shape) in the encoder")
                    continue
                }
                layers[key] = given
            }
        }
        guard problems.isEmpty else {
            throw EncoderTrainingError("\(path): does not fit the encoder's ResNet layers (--encoder_init):\n  "
                + problems.sorted().joined(separator: "\n  "))
        }
        _ = try encoder.load(stateDict: layers, strict: false)
    }

    /// A latent average as one row [D]: [D], [1, D] and [L, D] (pSp's repeated rows) all hold it.
    static func averageRow(_ average: Tensor) throws -> Tensor {
        switch average.rank {
        case 1: return average
        case 2: return try average.select(0, 0)
        default: throw EncoderTrainingError("latent_avg must be [D], [1, D] or [L, D], got \(average.shape)")
        }
    }

    // MARK: one iteration

    /// pSp's `net.forward(x, return_latents=True)`: the image (pooled to the input size) and the codes it was
    /// rendered from, [N, L, D].
    func forward(_ x: Tensor, noise: NoiseMode) throws -> (image: Tensor, latent: Tensor) {
        var codes = try encoder.styleCodes(x)
        if config.startFromLatentAvg { codes = try codes + latentAvg }
        return (try render(codes, noise: noise), codes)
    }

    /// The generator's image of codes [N, rows, D] (their first rows when there are more than it reads, as
    /// rosinality's generator reads them), pooled to the encoder's input size (pSp's `face_pool`): [N, 3, S, S].
    func render(_ codes: Tensor, noise: NoiseMode) throws -> Tensor {
        let rows = decoder.nLatent
        var image = try decoder.synthesis(codes.size(1) > rows ? codes.slice(1, 0, rows) : codes, noise: noise)
        let side = widths.inputSize
        if image.size(2) != side { image = try F.adaptiveAvgPool2d(image, (side, side)) }
        return image
    }

    /// Fresh noise maps (pSp's `randomize_noise=True`), seeded from the run's generator.
    func freshNoise() throws -> NoiseMode {
        .random(seed: UInt64(try Tensor.randint(0, Int(Int32.max), [1], generator: rng).itemInt()))
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let y = try loader.next().images.to(device: device)
        let x = try source(sourceLoader?.next().images, target: y, generator: rng)
        let (logged, yHat) = try trainingStep(x, target: y, noise: nil, index: iteration.index)
        let i = iteration.index
        let showImages = i % config.imageInterval == 0 || (i < 1000 && i % 25 == 0)
        // Label maps are not images: the target stands beside the output then.
        let shown = showImages ? try Self.faces(x: x.size(1) == 3 ? x : y, yHat: yHat) : nil
        let images = shown.map { [(tag: "images/train/faces", images: $0)] } ?? []
        return StepReport(scalars: logged.map { Scalar($0.0, $0.1) }, images: images)
    }

    /// One optimiser step (step `index` of the run) on sources `x` [N, 3, S, S] and their targets `y` (nil: `x`,
    /// pSp's `ffhq_encode`), rendering with `noise` (nil: fresh maps for every pass): the logged values and the last
    /// reconstruction.
    func trainingStep(_ x: Tensor, target y: Tensor? = nil, noise: NoiseMode?, index: Int) throws
        -> (logged: [(String, Double)], yHat: Tensor)
    {
        setTraining(true)
        var logged: [(String, Double)] = []
        if let e4e {
            e4e.enterStep(index, encoder: encoder)
            logged = try e4e.discriminatorStep(encoderInput: discriminatorInput(x), codeOffset: discriminatorCodeOffset,
                                               encoder: encoder, decoder: decoder, index: index, generator: rng)
        }
        try optimizer.zeroGrad()
        let (terms, yHat) = try backwardPass(x, target: y ?? x, noise: noise)
        try optimizer.step()
        logged += terms
        return (logged, yHat)
    }

    /// The forward passes and losses of one step with their gradients accumulated (`backward`), and the logged
    /// values with `loss`: one pass for pSp and e4e.
    func backwardPass(_ x: Tensor, target y: Tensor, noise: NoiseMode?) throws -> (logged: [(String, Double)], yHat: Tensor) {
        let (yHat, latent) = try forward(x, noise: noise ?? freshNoise())
        let (total, logged) = try calcLoss(x: x, y: y, yHat: yHat, latent: latent)
        try total.backward()
        return (logged, yHat)
    }

    /// The encoder's input for targets `y`: the paired `sources` (sketches with `label_nc` 1, one-hot label maps with
    /// more), the targets degraded for a restoration task or super-resolution (drawing from `generator`), or the
    /// targets themselves.
    func source(_ sources: Tensor?, target y: Tensor, generator: Torch.Generator) throws -> Tensor {
        if let sources {
            let x = try sources.to(device: device)
            switch config.labelNC {
            case 0: return x
            case 1: return try LabelMaps.sketch(x)
            default: return try LabelMaps.oneHot(x, classes: config.labelNC)
            }
        }
        if let degradation { return try degradation.sources(y, generator: generator) }
        return try superResolution?.sources(y, generator: generator) ?? y
    }

    /// The logged values of a validation batch of sources and targets (eval mode, no gradients, the generator's
    /// fixed noise).
    func validationLosses(_ x: Tensor, target y: Tensor) throws -> [(String, Double)] {
        let (yHat, latent) = try forward(x, noise: .const)
        return try calcLoss(x: x, y: y, yHat: yHat, latent: latent).logged
    }

    /// The method's `calc_loss` for source `x`, target `y` (nil: `x`) and reconstruction `yHat`: e4e's terms, then
    /// pSp's shared ones; its `loss_dict` ends with `loss`.
    func calcLoss(x: Tensor, y: Tensor? = nil, yHat: Tensor, latent: Tensor) throws
        -> (total: Tensor, logged: [(String, Double)])
    {
        var logged: [(String, Double)] = []
        let method = try e4e?.loss(latent: latent, logged: &logged)
        let (shared, terms) = try loss(x: x, y: y ?? x, yHat: yHat, latent: latent,
                                       latentAvg: config.startFromLatentAvg ? latentAvg : nil)
        let total = try method.map { try $0 + shared } ?? shared
        return (total, logged + terms + [("loss", try total.item())])
    }

    /// The networks' mode: pSp's `net.train()` / `net.eval()`.
    func setTraining(_ on: Bool) { encoder.train(on) }

    /// What e4e's discriminator step encodes for the fake codes: the images (ReStyle: beside the average image).
    func discriminatorInput(_ x: Tensor) throws -> Tensor { x }

    /// What e4e adds to those codes: `latent_avg` with `start_from_latent_avg` (ReStyle-e4e: nothing).
    var discriminatorCodeOffset: Tensor? { config.startFromLatentAvg ? latentAvg : nil }

    /// pSp's logged pairs as one batch: input and reconstruction of the first two samples, [4, 3, S, S].
    static func faces(x: Tensor, yHat: Tensor) throws -> Tensor {
        let n = Swift.min(2, x.size(0))
        return try Tensor.cat([x.slice(0, 0, n), yHat.detach().slice(0, 0, n)]).clamp(min: -1, max: 1)
    }

    // MARK: validation

    /// pSp's `validate`: the test set in eval mode, without gradients and with fixed noise, each logged value
    /// averaged over its batches (drop_last); a new lowest `loss` writes `best_model.pt`. Empty without a test set.
    public func evaluate(at iteration: Int, group _: any ProcessGroup) throws -> [Scalar] {
        guard let testDataset else { return [] }
        setTraining(false)
        defer { setTraining(true) }
        let options = DataLoaderOptions(batchSize: config.testBatchSize, shuffle: false, flip: .none, threads: config.testWorkers)
        let testLoader = try DataLoader(dataset: testDataset, options: options, seed: config.seed)
        let testSources = try testSourceDataset.map { try DataLoader(dataset: $0, options: options, seed: config.seed) }
        var sums: [(String, Double)] = []
        let batches = testLoader.batchesPerEpoch
        // The same degraded sources at every validation.
        let draws = try Torch.Generator(seed: config.seed &+ 1)
        try withNoGrad {
            for _ in 0..<batches {
                let y = try testLoader.next().images.to(device: device)
                let logged = try validationLosses(source(testSources?.next().images, target: y, generator: draws), target: y)
                if sums.isEmpty { sums = logged.map { ($0.0, 0) } }
                for (k, value) in logged.enumerated() { sums[k].1 += value.1 }
            }
        }
        let means = sums.map { Scalar("test/" + $0.0, $0.1 / Double(batches)) }
        if let value = means.first(where: { $0.name == "test/loss" })?.value,
           bestValidationLoss.map({ value < $0 }) ?? true
        {
            bestValidationLoss = value
            if let bestModelFolder { try writeBestModel(to: bestModelFolder + "/best_model.pt", iteration: iteration, loss: value) }
        }
        return means
    }

    /// `best_model.pt` in pSp's layout, written under a temporary name and renamed into place, and a line in
    /// `timestamp.txt` as pSp's `checkpoint_me`.
    func writeBestModel(to path: String, iteration: Int, loss value: Double) throws {
        try OfficialFile.write(.dict(try officialEntries()), to: path)
        let line = String(format: "**Best**: Step - %d, Loss - %.3f \n", iteration, value)
        let stamp = (path as NSString).deletingLastPathComponent + "/timestamp.txt"
        if let handle = FileHandle(forWritingAtPath: stamp) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            handle.closeFile()
        } else {
            _ = FileManager.default.createFile(atPath: stamp, contents: Data(line.utf8))
        }
    }

    // MARK: checkpoints

    /// Key of our own state in the checkpoint, beside pSp's.
    public static let stateKey = "stylegankit"

    /// Whether checkpoints hold `latent_avg`: pSp writes it when the codes start from it.
    var savesLatentAverage: Bool { config.startFromLatentAvg }

    /// pSp's `__get_save_dict`: `state_dict` (`encoder.*`, `decoder.*`), `opts`, and `latent_avg` (as [L, D], the
    /// released files' shape) when the codes start from it.
    func officialEntries() throws -> [(key: CheckpointValue, value: CheckpointValue)] {
        var weights = try networkWeights()
        for (name, tensor) in try decoder.stateDict() { weights.append(("decoder." + name, tensor)) }
        var entries: [(key: CheckpointValue, value: CheckpointValue)] = [
            (.string("state_dict"), CheckpointValue(StateDict(weights))),
            (.string("opts"), try EncoderTrainingOpts.value(config, outputSize: outputSize, widths: widths)),
        ]
        if savesLatentAverage {
            let rows = config.learnInW ? 1 : decoder.nLatent
            entries.append((.string("latent_avg"), .tensor(try latentAvg.unsqueeze(0).expand([rows, latentAvg.size(0)]).contiguous())))
        }
        return entries
    }

    public func saveState(to path: String, iteration: Int) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let method: (ours: [(String, CheckpointValue)], official: [(String, CheckpointValue)]) =
            try e4e?.state(iteration: iteration, optimizer: optimizer, bestValidationLoss: bestValidationLoss) ?? ([], [])
        let ours: [(String, CheckpointValue)] = [
            ("iteration", .int(iteration)),
            ("optimizer", CheckpointValue(try optimizer.stateDict())),
            ("rng", .tensor(try rng.state())),
            ("data", .string(String(decoding: try encoder.encode(loader.state), as: UTF8.self))),
            ("source_data", try sourceLoader.map { .string(String(decoding: try encoder.encode($0.state), as: UTF8.self)) } ?? .none),
            ("best_val_loss", bestValidationLoss.map { .float($0) } ?? .none),
        ] + method.ours
        let entries = try officialEntries() + method.official.map { (key: CheckpointValue.string($0.0), value: $0.1) }
            + [(key: .string(Self.stateKey), value: .dict(ours.map { (key: .string($0.0), value: $0.1) }))]
        try TorchCheckpoint.save(.dict(entries), to: path)
    }

    /// Our checkpoints, or an e4e training checkpoint (`--save_training_data`, read through
    /// `--resume_training_from_ckpt`) as e4e's `load_from_train_checkpoint` reads it: the weights, the best loss, the
    /// discriminator and its optimiser, the encoder's optimiser with `keep_optimizer`; the run continues after its
    /// `global_step`, its random streams from the seed.
    public func loadState(from path: String) throws -> Int? {
        let root = try TorchCheckpoint.load(path)
        if let e4e, case .dict(let top) = root, top[Self.stateKey] == nil, let step = top["global_step"] {
            do {
                try loadWeights(root["state_dict"].stateDict())
                bestValidationLoss = try? root["best_val_loss"].double()
                if config.keepOptimizer { try optimizer.loadStateDict(OptimizerState(root["optimizer"])) }
                try e4e.restore(official: root)
                return try step.int() + 1
            } catch {
                throw EncoderTrainingError("\(path): an e4e training checkpoint that does not fit this run: \(error)")
            }
        }
        guard case .dict(let top) = root, let ours = top[Self.stateKey] else {
            throw EncoderTrainingError("\(path): not a checkpoint of this trainer (no '\(Self.stateKey)' state); start "
                + "from an encoder file with --checkpoint_path instead")
        }
        do {
            try loadWeights(root["state_dict"].stateDict())
            try optimizer.loadStateDict(OptimizerState(ours["optimizer"]))
            try rng.setState(ours["rng"].tensor())
            let state = try JSONDecoder().decode(SamplerState.self, from: Foundation.Data(try ours["data"].string().utf8))
            loader = try DataLoader(dataset: dataset, options: Self.loaderOptions(config), state: state)
            if let sourceDataset {
                let sourceState = try JSONDecoder().decode(SamplerState.self, from: Foundation.Data(try ours["source_data"].string().utf8))
                sourceLoader = try DataLoader(dataset: sourceDataset, options: Self.loaderOptions(config), state: sourceState)
            }
            bestValidationLoss = try? ours["best_val_loss"].double()
            try e4e?.restore(ours)
            return try ours["iteration"].int()
        } catch {
            throw EncoderTrainingError("\(path): does not fit this run (\(config.encoderType.rawValue), "
                + "\(decoder.config.size) px generator): \(error)")
        }
    }

    /// The encoder's tensors under their keys in the official `state_dict`: `encoder.*`.
    func networkWeights() throws -> [(String, Tensor)] {
        try encoder.stateDict().map { ("encoder." + $0.name, $0.tensor) }
    }

    /// A checkpoint's `state_dict` into the networks, each strictly: `decoder.*` into the generator, the rest as
    /// `networkWeights` names them.
    func loadWeights(_ weights: StateDict) throws {
        _ = try decoder.load(stateDict: Self.part(weights, "decoder."))
        _ = try encoder.load(stateDict: Self.part(weights, "encoder."))
    }

    /// The tensors under `prefix`, without it.
    static func part(_ weights: StateDict, _ prefix: String) -> StateDict {
        StateDict(weights.filter { $0.0.hasPrefix(prefix) }.map { (String($0.0.dropFirst(prefix.count)), $0.1) })
    }
}
