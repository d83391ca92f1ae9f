import Checkpoints
import Perception
import Testbed
import Torch
import Training

/// The testbed's identity network as a `Trainer`: IR-SE (`IdentityTrainingConfig.network`) and an ArcFace head
/// (`scale`, `margin`) trained with Adam on renders of train-split identities in `variations` views each, made on
/// the fly (a few per step, each reused from a `RenderPool` over the next steps, as rendering costs more than the
/// step). The evaluation is verification on unseen test-split identities: TAR at FAR 1e-3 over all pairs of their
/// renders.
public final class IdentityTrainer: Trainer {
    public let config: IdentityTrainingConfig
    public let network: IRSE50
    public let head: ArcFace
    public let optimizer: Adam
    public let device: Device
    let renderer: TestbedRenderer
    let pool: RenderPool
    /// The global id of the first train identity: labels count from it.
    let firstIdentity: Int
    /// Whether the head is imprinted before the first step (a run from trained weights).
    let imprints: Bool

    public var batchSize: Int { config.batch }
    public var checkpointExtension: String { "pt" }

    /// Builds the networks with weights seeded by `config.seed`; nothing is trained yet.
    /// `initialWeights`: an identity network file of the same configuration to start from (training further; the
    /// file holds no ArcFace head, so the first step imprints one: `imprintHead()`); nil for seeded random weights.
    public init(_ config: IdentityTrainingConfig, initialWeights: String? = nil, device: Device = .cpu) throws {
        try config.validate()
        self.config = config
        self.device = device
        network = try IRSE50(config.network)
        try SeededInit.apply(to: network, seed: config.seed)
        if let initialWeights {
            let trained = try IRSE50.load(from: initialWeights)
            guard trained.configuration == config.network else {
                throw PerceptionTrainingError("\(initialWeights): an IR-SE network of another configuration "
                    + "(\(trained.configuration)); this run trains \(config.network)")
            }
            try network.load(stateDict: trained.stateDict())
        }
        try network.to(device: device)
        try network.requiresGrad(true)
        network.train()
        head = try ArcFace(embeddingSize: config.network.embeddingSize, classes: config.identities,
                           scale: config.scale, margin: config.margin,
                           generator: Torch.Generator(seed: config.seed &+ 1))
        try head.to(device: device)
        optimizer = try Adam(network.parameters() + head.parameters(), lr: config.learningRate,
                             weightDecay: config.weightDecay)
        renderer = try TestbedRenderer(size: config.renderSize, device: device)
        firstIdentity = TestbedSplit.train.identities.lowerBound
        imprints = initialWeights != nil
        pool = RenderPool(renderer: renderer, split: .train, samples: config.identities * config.variations,
                          variations: config.variations, fresh: config.freshRenders, steps: config.poolSteps,
                          seed: config.seed)
    }

    /// Sets each identity's class centre to the mean embedding of `views` renders of it (weight imprinting, Qi et
    /// al. 2018). A trained backbone under a random head gets large, wrong gradients until the head catches up,
    /// which undoes the training (TAR 0.84 to 0.06 when a run widened from 2000 to 10,000 identities); an imprinted
    /// head starts where the backbone already is.
    public func imprintHead(views: Int = 2) throws {
        let samples = (0..<config.identities).flatMap { i in
            (0..<views).map { TestbedSample(split: .train, identity: firstIdentity + i, variation: $0) }
        }
        let centres = try embeddings(of: samples)                                        // [I * V, E]
            .reshape([config.identities, views, config.network.embeddingSize]).mean([1])  // [I, E]
        try withNoGrad { try head.kernel.copy_(centres.transpose(0, 1)) }
    }

    public func step(_ iteration: Iteration) throws -> StepReport {
        if imprints, iteration.index == 0 { try imprintHead() }
        let random = try StepSchedule.generator(seed: config.seed, index: iteration.index)
        manualSeed(UInt64(try Tensor.randint(0, Int(Int32.max), [1], generator: random).itemInt()))
        let batch = try pool.batch(at: iteration.index, count: config.batch, generator: random)
        let labels = try (batch.identities - Double(firstIdentity)).to(device: device, dtype: .int64)
        let lr = StepSchedule.learningRate(base: config.learningRate, index: iteration.index, total: iteration.total,
                                           warmup: config.warmup)
        StepSchedule.apply(lr, to: optimizer)
        head.margin = config.marginWarmup == 0 ? config.margin
            : config.margin * Swift.min(1, Double(iteration.index) / Double(config.marginWarmup))
        // The ID losses' own path: pSp's face crop scaled to the render size, pooled to the input size.
        let embeddings = try network.idLossEmbedding(batch.images.to(device: device))
        let logits = try head.logits(embeddings, labels: labels)
        let loss = try F.crossEntropy(logits, labels)
        try optimizer.zeroGrad()
        try loss.backward()
        try optimizer.step()
        let accuracy = try logits.detach().argmax(1).eq(labels).to(dtype: .float32).mean().item()
        return StepReport(losses: ["arcface": try loss.item(), "accuracy": accuracy, "margin": head.margin, "lr": lr])
    }

    /// Normalised embeddings of renders, in eval mode without gradients: [N] samples -> [N, E].
    public func embeddings(of samples: [TestbedSample], chunk: Int = 256) throws -> Tensor {
        network.eval()
        defer { network.train() }
        return try withNoGrad {
            var parts: [Tensor] = []
            for start in stride(from: 0, to: samples.count, by: chunk) {
                let images = try renderer.render(Array(samples[start..<Swift.min(samples.count, start + chunk)])).images
                parts.append(try network.idLossEmbedding(images.to(device: device)).to(device: .cpu))
            }
            return try Tensor.cat(parts)
        }
    }

    /// TAR at `config.falseAcceptRate` on the first `evaluationIdentities` test identities, all variations.
    public func verification() throws -> (rate: Double, threshold: Double, genuinePairs: Int, impostorPairs: Int) {
        try Self.verification(embed: { try self.embeddings(of: $0) }, config: config)
    }

    static func verification(embed: ([TestbedSample]) throws -> Tensor, config: IdentityTrainingConfig) throws
        -> (rate: Double, threshold: Double, genuinePairs: Int, impostorPairs: Int)
    {
        let samples = (0..<(config.evaluationIdentities * TestbedSplit.variationsPerIdentity))
            .map { TestbedSplit.test.sample(at: $0) }
        let identities = try Tensor(samples.map { Int64($0.identity) }, shape: [samples.count])
        return try Verification.trueAcceptRate(embeddings: embed(samples), identities: identities,
                                               falseAcceptRate: config.falseAcceptRate)
    }

    public func evaluate(at _: Int, group _: any ProcessGroup) throws -> [Scalar] {
        let result = try verification()
        return [Scalar("tar_at_far", result.rate), Scalar("threshold", result.threshold)]
    }

    // MARK: files

    var modules: [(String, Module)] { [("backbone", network), ("head", head)] }

    public func saveState(to path: String, iteration: Int) throws {
        try TrainingCheckpoint.save(modules: modules, optimizer: optimizer, config: config, iteration: iteration,
                                    to: path)
    }

    public func loadState(from path: String) throws -> Int? {
        try TrainingCheckpoint.load(modules: modules, optimizer: optimizer, config: config, from: path)
    }

    /// The backbone as `IRSE50.load` reads it: official keys, float16, its configuration in the metadata.
    public func exportWeights(to path: String) throws {
        try WeightsFile.write(network, metadata: [IRSE50.Configuration.metadataKey: network.configuration.metadataValue()],
                              to: path)
    }
}
