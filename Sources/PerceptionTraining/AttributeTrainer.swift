import Checkpoints
import Perception
import Testbed
import Torch
import Training

/// The testbed's attribute classifier as a `Trainer`: a narrow ResNet-18 (torchvision's keys) trained with Adam
/// on train-split renders made on the fly (through a `RenderPool`), predicting every `TestbedAttribute` (`AttributeTargets`). Its
/// pooled features are the testbed's Fréchet-distance features.
public final class AttributeTrainer: Trainer {
    public let config: AttributeTrainingConfig
    public let network: ResNet18Classifier
    public let optimizer: Adam
    public let device: Device
    let renderer: TestbedRenderer
    let pool: RenderPool

    public var batchSize: Int { config.batch }
    public var checkpointExtension: String { "pt" }

    /// `initialWeights`: a classifier file of the same width to start from (training further); nil for seeded
    /// random weights.
    public init(_ config: AttributeTrainingConfig, initialWeights: String? = nil, device: Device = .cpu) throws {
        try config.validate()
        self.config = config
        self.device = device
        network = try ResNet18Classifier(width: config.width, outputNames: AttributeTargets.names,
                                         inputSize: config.renderSize)
        try SeededInit.apply(to: network, seed: config.seed)
        if let initialWeights {
            let trained = try ResNet18Classifier.load(from: initialWeights)
            guard trained.width == config.width, trained.outputNames == network.outputNames else {
                throw PerceptionTrainingError("\(initialWeights): a classifier of width \(trained.width) over "
                    + "\(trained.outputNames.count) outputs; this run trains width \(config.width) over the testbed's "
                    + "\(network.outputNames.count) attributes")
            }
            try network.load(stateDict: trained.stateDict())
        }
        try network.to(device: device)
        network.train()
        optimizer = try Adam(network.parameters(), lr: config.learningRate, weightDecay: config.weightDecay)
        renderer = try TestbedRenderer(size: config.renderSize, device: device)
        pool = RenderPool(renderer: renderer, split: .train, samples: config.trainSamples, fresh: config.freshRenders,
                          steps: config.poolSteps, seed: config.seed)
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        let random = try StepSchedule.generator(seed: config.seed, index: iteration.index)
        let batch = try pool.batch(at: iteration.index, count: config.batch, generator: random)
        let lr = StepSchedule.learningRate(base: config.learningRate, index: iteration.index, total: iteration.total,
                                           warmup: config.warmup)
        StepSchedule.apply(lr, to: optimizer)
        let outputs = try network(halfResolution(batch.images.to(device: device)))
        let (binary, continuous) = try AttributeTargets.losses(outputs: outputs, attributes: batch.attributes)
        let loss = try binary + continuous
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
        return StepReport(losses: ["bce": try binary.item(), "mse": try continuous.item(), "lr": lr])
    }

    /// `images` with the first `halfResolutionShare` of them (the pool's picks are already random) shrunk to half
    /// the size and enlarged back.
    func halfResolution(_ images: Tensor) throws -> Tensor {
        let count = Int((config.halfResolutionShare * Double(images.size(0))).rounded())
        guard count > 0 else { return images }
        let size = images.size(2)
        let low = try F.interpolate(images.slice(0, 0, count), size: (size / 2, size / 2), mode: .bilinear,
                                    alignCorners: false, antialias: true)
        let back = try F.interpolate(low, size: (size, size), mode: .bilinear, alignCorners: false)
        return count == images.size(0) ? back : try Tensor.cat([back, images.slice(0, count, images.size(0))])
    }

    /// Accuracy of each binary attribute and mean absolute error (in its units) of each continuous one, on the
    /// first `config.evaluationSamples` renders of the test split.
    public func scores() throws -> AttributeScores {
        network.eval()
        defer { network.train() }
        return try AttributeScores(network: network, renderer: renderer, samples: config.evaluationSamples)
    }

    public func evaluate(at _: Int, group _: any ProcessGroup) throws -> [Scalar] {
        let scores = try scores()
        return [Scalar("binary_accuracy", scores.meanAccuracy), Scalar("continuous_mae_normalised", scores.meanNormalisedError)]
    }

    // MARK: files

    var modules: [(String, Module)] { [("classifier", network)] }

    public func saveState(to path: String, iteration: Int) throws {
        try TrainingCheckpoint.save(modules: modules, optimizer: optimizer, config: config, iteration: iteration,
                                    to: path)
    }

    public func loadState(from path: String) throws -> Int? {
        try TrainingCheckpoint.load(modules: modules, optimizer: optimizer, config: config, from: path)
    }

    /// The classifier as `ResNet18Classifier.load` reads it: torchvision's keys, float16, width and outputs in
    /// the metadata.
    public func exportWeights(to path: String) throws {
        try WeightsFile.write(network, metadata: network.metadata, to: path)
    }
}

/// The attribute classifier's test-split scores.
public struct AttributeScores: Sendable {
    /// Accuracy of each binary attribute.
    public let accuracy: [(attribute: TestbedAttribute, value: Double)]
    /// Mean absolute error of each continuous attribute, in its own units.
    public let meanAbsoluteError: [(attribute: TestbedAttribute, value: Double)]

    /// The mean accuracy over binary attributes.
    public var meanAccuracy: Double {
        accuracy.isEmpty ? .nan : accuracy.map(\.value).reduce(0, +) / Double(accuracy.count)
    }

    /// The mean over continuous attributes of their error divided by their range's width.
    public var meanNormalisedError: Double {
        guard !meanAbsoluteError.isEmpty else { return .nan }
        return meanAbsoluteError.map { $0.value / Double($0.attribute.range.upperBound - $0.attribute.range.lowerBound) }
            .reduce(0, +) / Double(meanAbsoluteError.count)
    }

    /// Scores `network` (in eval mode) on the first `samples` test-split renders.
    public init(network: ResNet18Classifier, renderer: TestbedRenderer, samples: Int, chunk: Int = 250) throws {
        let attributes = AttributeTargets.attributes
        guard network.outputNames == AttributeTargets.names else {
            throw PerceptionTrainingError("the classifier predicts \(network.outputNames), not the testbed's "
                + "attributes \(AttributeTargets.names)")
        }
        var hits = [Double](repeating: 0, count: attributes.count)
        var errors = [Double](repeating: 0, count: attributes.count)
        try withNoGrad {
            for start in stride(from: 0, to: samples, by: chunk) {
                let batch = try renderer.render(split: .test, indices: start..<Swift.min(samples, start + chunk))
                let predicted = try AttributeTargets.predictions(outputs: network(batch.images)).to(device: .cpu)
                let difference = try (predicted - batch.attributes.to(device: .cpu)).abs()
                let correct = try difference.lt(0.5).to(dtype: .float64).sum([0]).doubles()
                let absolute = try difference.to(dtype: .float64).sum([0]).doubles()
                for i in attributes.indices {
                    hits[i] += correct[i]
                    errors[i] += absolute[i]
                }
            }
        }
        accuracy = attributes.indices.filter { attributes[$0].isBinary }
            .map { (attributes[$0], hits[$0] / Double(samples)) }
        meanAbsoluteError = attributes.indices.filter { !attributes[$0].isBinary }
            .map { (attributes[$0], errors[$0] / Double(samples)) }
    }
}
