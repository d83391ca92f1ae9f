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

    public init(width: Int = 16, renderSize: Int = 64, trainSamples: Int = 1_000_000, batch: Int = 64, freshRenders: Int = 16, poolSteps: Int = 32,
                learningRate: Double = 2e-3, warmup: Int = 100, weightDecay: Double = 1e-4, seed: UInt64 = 0,
                evaluationSamples: Int = 2000)
    {
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

    public func validate() throws {
        try SettingChecks.checkRenderSize(renderSize)
        try SettingChecks.check(width >= 1, "width must be at least 1, got \(width)")
        try SettingChecks.check(trainSamples >= 1, "train samples must be at least 1, got \(trainSamples)")
        try SettingChecks.checkSchedule(batch: batch, freshRenders: freshRenders, poolSteps: poolSteps,
                                        learningRate: learningRate, weightDecay: weightDecay, warmup: warmup)
        try SettingChecks.check(evaluationSamples >= 1,
                                "evaluation samples must be at least 1, got \(evaluationSamples)")
    }
}
