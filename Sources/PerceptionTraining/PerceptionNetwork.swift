import Perception
import Testbed
import Torch
import Training

/// The perception networks the project trains on the testbed (`stylegan testbed train-perception NETWORK`).
public enum PerceptionNetwork: String, CaseIterable, Codable, Sendable {
    /// IR-SE with the ArcFace loss: the ID losses and the ID metric (`IRSE50.load`).
    case identity
    /// ResNet-18 over every `TestbedAttribute`: InterFaceGAN labels, edit accuracy, Fréchet features
    /// (`ResNet18Classifier.load`).
    case attributes
    /// BiSeNet (face-parsing.PyTorch's layout) on the testbed masks: E2Style's parsing loss (`BiSeNet.load`).
    case bisenet
    /// E2Style's U-Net parser: GANI's feature loss L_FP (`UNetFaceParser.load`).
    case unet
    /// LPIPS's linear layers on the attribute classifier, calibrated on testbed 2AFC triplets: the testbed's
    /// perceptual distance (`LPIPS(testbed:linearLayers:)`). Needs the classifier (`PerceptionOverrides.trunk`).
    case lpips

    /// Iterations of a run when none are given: enough to reach the targets in docs/testbed.md.
    public var defaultIterations: Int {
        switch self {
        case .identity: 12000
        case .attributes: 6000
        case .bisenet: ParserTrainingConfig.testbedIterations(.bisenet)
        case .unet: ParserTrainingConfig.testbedIterations(.unet)
        case .lpips: 600
        }
    }

    /// The render size the shipped weights were trained and are scored at.
    public var renderSize: Int {
        switch self {
        case .identity, .lpips: 64
        case .attributes: 128
        case .unet: 256
        case .bisenet: 512
        }
    }

    /// The name of the shipped weights file (Models/testbed/NAME) and of the one a run writes.
    public var weightsFileName: String { rawValue + ".safetensors" }

    /// A trainer with this network's defaults, overridden by `overrides`.
    public func trainer(_ overrides: PerceptionOverrides, device: Device = .cpu) throws -> any PerceptionTrainer {
        switch self {
        case .identity:
            var config = IdentityTrainingConfig.testbed
            overrides.applyShared(to: &config)
            if let classes = overrides.classes { config.identities = classes }
            if let variations = overrides.variations { config.variations = variations }
            return try IdentityTrainer(config, initialWeights: overrides.initialWeights, device: device)
        case .attributes:
            var config = AttributeTrainingConfig.testbed
            overrides.applyShared(to: &config)
            if let width = overrides.width { config.width = width }
            return try AttributeTrainer(config, initialWeights: overrides.initialWeights, device: device)
        case .bisenet, .unet:
            var config = ParserTrainingConfig.testbed(parserNetwork!)
            overrides.applyShared(to: &config)
            if let power = overrides.classWeightPower { config.classWeightPower = power }
            try config.validate()
            return try ParserTrainer(config: config, initialWeights: overrides.initialWeights, device: device)
        case .lpips:
            var config = PerceptualCalibrationConfig()
            overrides.applyShared(to: &config)
            return try PerceptualCalibrator(config, classifier: Self.trunk(overrides.trunk, device: device), device: device)
        }
    }

    /// The attribute classifier the testbed LPIPS runs on.
    static func trunk(_ path: String?, device: Device) throws -> ResNet18Classifier {
        guard let path else {
            throw PerceptionTrainingError("the testbed LPIPS needs its trunk, the attribute classifier "
                + "(e.g. Models/testbed/attributes.safetensors)")
        }
        return try ResNet18Classifier.load(from: path, device: device)
    }

    /// The parser this case names; nil for the other networks.
    var parserNetwork: ParserTrainingConfig.Network? {
        switch self {
        case .bisenet: .bisenet
        case .unet: .unet
        case .identity, .attributes, .lpips: nil
        }
    }

    /// The test-split metrics of a weights file, on renders of `renderSize` pixels.
    /// `evaluationCount` is the test identities (identity), renders (attributes, parsers) or triplets (lpips)
    /// scored; nil for the defaults. `trunk` is the attribute classifier the LPIPS layers sit on.
    public func evaluate(weights path: String, renderSize: Int = 64, evaluationCount: Int? = nil, trunk: String? = nil,
                         device: Device = .cpu) throws -> [Scalar]
    {
        try SettingChecks.checkRenderSize(renderSize)
        let renderer = try TestbedRenderer(size: renderSize, device: device)
        switch self {
        case .identity:
            let network = try IRSE50.load(from: path, device: device)
            var config = IdentityTrainingConfig()
            config.renderSize = renderSize
            if let evaluationCount { config.evaluationIdentities = evaluationCount }
            try config.validate()
            let result = try IdentityTrainer.verification(embed: { samples in
                try withNoGrad { try network.idLossEmbedding(renderer.render(samples).images).to(device: .cpu) }
            }, config: config)
            return IdentityTrainer.report(result, config: config)
        case .attributes:
            let network = try ResNet18Classifier.load(from: path, device: device)
            var config = AttributeTrainingConfig()
            if let evaluationCount { config.evaluationSamples = evaluationCount }
            try config.validate()
            return try AttributeScores(network: network, renderer: renderer, samples: config.evaluationSamples).report
        case .bisenet, .unet:
            let parser = try FaceParserModel(network: parserNetwork!, weights: path, device: device)
            return ParserTrainer.report(try ParserEvaluation.evaluate(parser, split: .test,
                                                                      count: evaluationCount ?? 512, size: renderSize,
                                                                      device: device))
        case .lpips:
            let lpips = try LPIPS(testbed: Self.trunk(trunk, device: device), linearLayers: path)
            let triplets = PerceptualTriplets(split: .test, samples: TestbedSplit.test.count, seed: 0,
                                              tieMargin: PerceptualCalibrationConfig().tieMargin)
            let score = try PerceptualCalibrator.twoAlternativeScore({ try lpips($0, $1) }, triplets: triplets,
                                                                     count: evaluationCount ?? 1000, renderer: renderer)
            return [Scalar("two_afc", score)]
        }
    }
}

/// Settings a command line may change on any network's defaults; nil keeps the default.
public struct PerceptionOverrides: Codable, Equatable, Sendable {
    public var batch: Int?
    public var renderSize: Int?
    public var seed: UInt64?
    /// Base width (attribute classifier).
    public var width: Int?
    /// Test identities (identity) or test renders (attributes) the evaluations score.
    public var evaluationCount: Int?
    /// Train identities the identity network classifies (ArcFace's classes).
    public var classes: Int?
    /// Distinct renders per train identity (identity; `IdentityTrainingConfig.variations`).
    public var variations: Int?
    /// The attribute classifier file the testbed LPIPS sits on.
    public var trunk: String?
    /// Adam's peak learning rate.
    public var learningRate: Double?
    /// Identity, attributes and parsers: weights a new run starts from (training shipped or earlier weights
    /// further).
    public var initialWeights: String?
    /// Parsers: the cross-entropy's class-weight power (`ParserTrainingConfig.classWeightPower`).
    public var classWeightPower: Double?

    public init(batch: Int? = nil, renderSize: Int? = nil, seed: UInt64? = nil, width: Int? = nil,
                evaluationCount: Int? = nil, classes: Int? = nil, variations: Int? = nil, trunk: String? = nil,
                learningRate: Double? = nil, initialWeights: String? = nil, classWeightPower: Double? = nil)
    {
        self.trunk = trunk
        self.learningRate = learningRate
        self.initialWeights = initialWeights
        self.classWeightPower = classWeightPower
        self.batch = batch
        self.renderSize = renderSize
        self.seed = seed
        self.width = width
        self.evaluationCount = evaluationCount
        self.classes = classes
        self.variations = variations
    }
}

/// The settings every perception run has, whatever each configuration calls them.
protocol SharedPerceptionSettings {
    var batch: Int { get set }
    var seed: UInt64 { get set }
    var learningRate: Double { get set }
    static var renderSizeKey: WritableKeyPath<Self, Int> { get }
    /// Test identities, renders or triplets the evaluation scores.
    static var evaluationCountKey: WritableKeyPath<Self, Int> { get }
}

extension IdentityTrainingConfig: SharedPerceptionSettings {
    static var renderSizeKey: WritableKeyPath<Self, Int> { \.renderSize }
    static var evaluationCountKey: WritableKeyPath<Self, Int> { \.evaluationIdentities }
}

extension AttributeTrainingConfig: SharedPerceptionSettings {
    static var renderSizeKey: WritableKeyPath<Self, Int> { \.renderSize }
    static var evaluationCountKey: WritableKeyPath<Self, Int> { \.evaluationSamples }
}

extension ParserTrainingConfig: SharedPerceptionSettings {
    static var renderSizeKey: WritableKeyPath<Self, Int> { \.size }
    static var evaluationCountKey: WritableKeyPath<Self, Int> { \.evaluationImages }
}

extension PerceptualCalibrationConfig: SharedPerceptionSettings {
    static var renderSizeKey: WritableKeyPath<Self, Int> { \.renderSize }
    static var evaluationCountKey: WritableKeyPath<Self, Int> { \.evaluationTriplets }
}

extension PerceptionOverrides {
    /// Batch, render size, seed, evaluation count and learning rate, where given.
    func applyShared<Config: SharedPerceptionSettings>(to config: inout Config) {
        if let batch { config.batch = batch }
        if let renderSize { config[keyPath: Config.renderSizeKey] = renderSize }
        if let seed { config.seed = seed }
        if let evaluationCount { config[keyPath: Config.evaluationCountKey] = evaluationCount }
        if let learningRate { config.learningRate = learningRate }
    }
}

/// A perception trainer: the engine's `Trainer`, plus the shipped weights and the test-split report.
public protocol PerceptionTrainer: Trainer {
    /// The run's full configuration, for `config.json`.
    var configuration: any Encodable { get }
    /// Writes the trained network in its Perception loader's format (float16 safetensors).
    func exportWeights(to path: String) throws
    /// The test-split metrics of the network as it stands.
    func testReport() throws -> [Scalar]
}

extension IdentityTrainer: PerceptionTrainer {
    public var configuration: any Encodable { config }

    public func testReport() throws -> [Scalar] { Self.report(try verification(), config: config) }

    static func report(_ result: (rate: Double, threshold: Double, genuinePairs: Int, impostorPairs: Int),
                       config: IdentityTrainingConfig) -> [Scalar]
    {
        [Scalar("tar_at_far_\(config.falseAcceptRate)", result.rate), Scalar("threshold", result.threshold),
         Scalar("genuine_pairs", Double(result.genuinePairs)), Scalar("impostor_pairs", Double(result.impostorPairs))]
    }
}

extension AttributeTrainer: PerceptionTrainer {
    public var configuration: any Encodable { config }

    public func testReport() throws -> [Scalar] { try scores().report }
}

extension AttributeScores {
    /// Mean binary accuracy, each binary attribute's accuracy, then each continuous attribute's MAE.
    public var report: [Scalar] {
        [Scalar("binary_accuracy", meanAccuracy)]
            + accuracy.map { Scalar("accuracy_\($0.attribute.rawValue)", $0.value) }
            + meanAbsoluteError.map { Scalar("mae_\($0.attribute.rawValue)", $0.value) }
    }
}

extension ParserTrainer: PerceptionTrainer {
    public var configuration: any Encodable { config }

    public func exportWeights(to path: String) throws { try exportWeights(to: path, halfPrecision: true) }

    public func testReport() throws -> [Scalar] {
        Self.report(try ParserEvaluation.evaluate(parser, split: .test, count: config.evaluationImages,
                                                  size: config.size, device: device))
    }

    /// mIoU over the classes present, then each class's IoU (`iou_<class>`).
    static func report(_ scores: ParsingScores) -> [Scalar] {
        [Scalar("miou", scores.meanIoU)] + scores.presentClasses.compactMap { c in
            scores.iou(c).map { Scalar("iou_\(FaceClass(rawValue: c).map { "\($0)" } ?? "\(c)")", $0) }
        }
    }
}
