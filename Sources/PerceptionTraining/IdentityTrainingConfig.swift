import Perception
import Testbed

/// How the testbed's identity network trains: an IR-SE network with an ArcFace head over the first
/// `identities` identities of the train split, on pSp's ID-loss crop of `renderSize` renders; verified on the
/// first `evaluationIdentities` identities of the test split (never seen in training).
public struct IdentityTrainingConfig: Codable, Equatable, Sendable {
    public var network: IRSE50.Configuration
    public var renderSize: Int
    /// Train identities (the ArcFace classes).
    public var identities: Int
    /// Distinct renders per train identity the run draws from: the split's own 16, or more (any variation index of
    /// a train identity is a new pose, expression, light and background of that face), so a long run sees each
    /// view about once instead of fitting 16 fixed views per face.
    public var variations: Int
    public var batch: Int
    /// New renders per step; the batch is drawn from the renders of the last `poolSteps` steps (`RenderPool`).
    public var freshRenders: Int
    public var poolSteps: Int
    /// Adam's peak learning rate (linear warm-up, then cosine decay to zero).
    public var learningRate: Double
    public var warmup: Int
    public var weightDecay: Double
    /// ArcFace's s and m.
    public var scale: Double
    public var margin: Double
    /// Steps over which m rises linearly from 0 to `margin` (0: the full margin from the start). From scratch, on
    /// a small budget, the full margin leaves the loss on its plateau; normalised softmax first escapes it.
    public var marginWarmup: Int
    public var seed: UInt64
    public var evaluationIdentities: Int
    public var falseAcceptRate: Double

    public init(network: IRSE50.Configuration = .testbed, renderSize: Int = 64, identities: Int = 1000,
                variations: Int = TestbedSplit.variationsPerIdentity, batch: Int = 64, freshRenders: Int = 16,
                poolSteps: Int = 32, learningRate: Double = 2e-3, warmup: Int = 100, weightDecay: Double = 5e-4,
                scale: Double = 64, margin: Double = 0.5, marginWarmup: Int = 0, seed: UInt64 = 0,
                evaluationIdentities: Int = 100, falseAcceptRate: Double = 1e-3)
    {
        self.network = network
        self.renderSize = renderSize
        self.identities = identities
        self.variations = variations
        self.batch = batch
        self.freshRenders = freshRenders
        self.poolSteps = poolSteps
        self.learningRate = learningRate
        self.warmup = warmup
        self.weightDecay = weightDecay
        self.scale = scale
        self.margin = margin
        self.marginWarmup = marginWarmup
        self.seed = seed
        self.evaluationIdentities = evaluationIdentities
        self.falseAcceptRate = falseAcceptRate
    }

    private enum CodingKeys: String, CodingKey {
        case network, renderSize, identities, variations, batch, freshRenders, poolSteps, learningRate, warmup,
             weightDecay, scale, margin, marginWarmup, seed, evaluationIdentities, falseAcceptRate
    }

    /// Run folders written before `variations` existed trained on the split's 16 per identity.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(network: try c.decode(IRSE50.Configuration.self, forKey: .network),
                  renderSize: try c.decode(Int.self, forKey: .renderSize),
                  identities: try c.decode(Int.self, forKey: .identities),
                  variations: try c.decodeIfPresent(Int.self, forKey: .variations) ?? TestbedSplit.variationsPerIdentity,
                  batch: try c.decode(Int.self, forKey: .batch), freshRenders: try c.decode(Int.self, forKey: .freshRenders),
                  poolSteps: try c.decode(Int.self, forKey: .poolSteps),
                  learningRate: try c.decode(Double.self, forKey: .learningRate),
                  warmup: try c.decode(Int.self, forKey: .warmup), weightDecay: try c.decode(Double.self, forKey: .weightDecay),
                  scale: try c.decode(Double.self, forKey: .scale), margin: try c.decode(Double.self, forKey: .margin),
                  marginWarmup: try c.decode(Int.self, forKey: .marginWarmup), seed: try c.decode(UInt64.self, forKey: .seed),
                  evaluationIdentities: try c.decode(Int.self, forKey: .evaluationIdentities),
                  falseAcceptRate: try c.decode(Double.self, forKey: .falseAcceptRate))
    }

    /// The run of the shipped `Models/testbed/identity.safetensors`: 10,000 identities seen in new variations
    /// throughout, batch 128, s = 32, the margin raised over the first 1000 steps.
    public static let testbed = IdentityTrainingConfig(
        network: .testbed, identities: 10000, variations: 1 << 20, batch: 128, scale: 32, marginWarmup: 1000)

    public func validate() throws {
        try SettingChecks.checkRenderSize(renderSize)
        do { try network.validate() } catch { throw PerceptionTrainingError("\(error)") }
        try SettingChecks.check(identities >= 2, "identities must be at least 2, got \(identities)")
        try SettingChecks.check(variations >= 1 && identities <= Int.max / variations,
                                "variations per identity must be at least 1, got \(variations)")
        try SettingChecks.checkSchedule(batch: batch, freshRenders: freshRenders, poolSteps: poolSteps,
                                        learningRate: learningRate, weightDecay: weightDecay, warmup: warmup)
        try SettingChecks.check(scale > 0 && margin >= 0 && margin < Double.pi / 2,
                                "ArcFace needs s > 0 and 0 <= m < pi/2, got s \(scale), m \(margin)")
        try SettingChecks.check(marginWarmup >= 0, "margin warm-up must not be negative, got \(marginWarmup)")
        try SettingChecks.check(evaluationIdentities >= 2,
                                "evaluation identities must be at least 2, got \(evaluationIdentities)")
        try SettingChecks.check(falseAcceptRate > 0 && falseAcceptRate < 1,
                                "false accept rate \(falseAcceptRate) is outside (0, 1)")
    }
}

/// Checks shared by the perception trainers' settings.
enum SettingChecks {
    static func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
        if !ok { throw PerceptionTrainingError(message()) }
    }

    /// Batch, render pool and optimiser settings.
    static func checkSchedule(batch: Int, freshRenders: Int, poolSteps: Int, learningRate: Double, weightDecay: Double,
                              warmup: Int) throws
    {
        try check(batch >= 2, "batch must be at least 2, got \(batch)")
        try check(freshRenders >= 1 && poolSteps >= 1,
                  "fresh renders and pool steps must be at least 1, got \(freshRenders) and \(poolSteps)")
        try check(learningRate > 0 && weightDecay >= 0 && warmup >= 0,
                  "learning rate, weight decay and warm-up must not be negative")
    }

    static func checkRenderSize(_ size: Int) throws {
        try check(TestbedRenderer.sizes.contains(size), "render size \(size) is not one of the testbed's sizes "
            + TestbedRenderer.sizes.map(String.init).joined(separator: ", "))
    }
}
