/// How the testbed's attribute classifier trains: a ResNet-18 of base width `width` predicting every
/// `TestbedAttribute` from whole renders of the train split; scored on the first `evaluationSamples` renders
/// of the test split.
public struct AttributeTrainingConfig: Codable, Equatable, Sendable {
    public var width: Int
    public var renderSize: Int
    /// Train-split renders drawn from (the first this many indices).
    public var trainSamples: Int
    public var batch: Int
    /// New renders per step; the batch is drawn from the renders of the last `poolSteps` steps (`RenderPool`).
    public var freshRenders: Int
    public var poolSteps: Int
    public var learningRate: Double
    public var warmup: Int
    public var weightDecay: Double
    public var seed: UInt64
    public var evaluationSamples: Int
    /// Share of each batch shown at half the render size (shrunk with antialiasing, then enlarged back as
    /// `ResNet18Classifier` enlarges small inputs), so a classifier trained on 128-pixel renders also scores
    /// 64-pixel generators. 0 trains at the render size alone.
    public var halfResolutionShare: Double

    public init(width: Int = 16, renderSize: Int = 64, trainSamples: Int = 1_000_000, batch: Int = 64, freshRenders: Int = 16, poolSteps: Int = 32,
                learningRate: Double = 2e-3, warmup: Int = 100, weightDecay: Double = 1e-4, seed: UInt64 = 0,
                evaluationSamples: Int = 2000, halfResolutionShare: Double = 0)
    {
        self.halfResolutionShare = halfResolutionShare
        self.width = width
        self.renderSize = renderSize
        self.trainSamples = trainSamples
        self.batch = batch
        self.freshRenders = freshRenders
        self.poolSteps = poolSteps
        self.learningRate = learningRate
        self.warmup = warmup
        self.weightDecay = weightDecay
        self.seed = seed
        self.evaluationSamples = evaluationSamples
    }

    /// The shipped classifier's run: 128-pixel renders, half of each batch at 64 pixels.
    public static let testbed = AttributeTrainingConfig(renderSize: 128, halfResolutionShare: 0.5)

    public func validate() throws {
        try SettingChecks.check((0...1).contains(halfResolutionShare),
                                "half-resolution share \(halfResolutionShare) is outside [0, 1]")
        try SettingChecks.checkRenderSize(renderSize)
        try SettingChecks.check(width >= 1, "width must be at least 1, got \(width)")
        try SettingChecks.check(trainSamples >= 1, "train samples must be at least 1, got \(trainSamples)")
        try SettingChecks.checkSchedule(batch: batch, freshRenders: freshRenders, poolSteps: poolSteps,
                                        learningRate: learningRate, weightDecay: weightDecay, warmup: warmup)
        try SettingChecks.check(evaluationSamples >= 1,
                                "evaluation samples must be at least 1, got \(evaluationSamples)")
    }
}

extension AttributeTrainingConfig {
    private enum CodingKeys: String, CodingKey {
        case width, renderSize, trainSamples, batch, freshRenders, poolSteps, learningRate, warmup, weightDecay, seed,
             evaluationSamples, halfResolutionShare
    }

    /// Runs saved before `halfResolutionShare` existed read it as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(width: try c.decode(Int.self, forKey: .width), renderSize: try c.decode(Int.self, forKey: .renderSize),
                  trainSamples: try c.decode(Int.self, forKey: .trainSamples), batch: try c.decode(Int.self, forKey: .batch),
                  freshRenders: try c.decode(Int.self, forKey: .freshRenders),
                  poolSteps: try c.decode(Int.self, forKey: .poolSteps),
                  learningRate: try c.decode(Double.self, forKey: .learningRate),
                  warmup: try c.decode(Int.self, forKey: .warmup), weightDecay: try c.decode(Double.self, forKey: .weightDecay),
                  seed: try c.decode(UInt64.self, forKey: .seed),
                  evaluationSamples: try c.decode(Int.self, forKey: .evaluationSamples),
                  halfResolutionShare: try c.decodeIfPresent(Double.self, forKey: .halfResolutionShare) ?? 0)
    }
}
