/// How the testbed's LPIPS layers are calibrated (`PerceptualCalibrator`): LPIPS's own training recipe (the
/// BCE ranking loss through its small `Dist2LogitLayer` network, Adam, the linear weights clamped non-negative
/// after each step) on `PerceptualTriplets` of `renderSize` renders instead of BAPPS's human judgements. The trunk,
/// the attribute classifier, stays frozen (LPIPS's "lin" variant).
public struct PerceptualCalibrationConfig: Codable, Equatable, Sendable {
    public var renderSize: Int
    /// Triplets per step.
    public var batch: Int
    /// Train-split indices the triplets draw faces from.
    public var trainSamples: Int
    /// Adam's peak learning rate (linear warm-up, then cosine decay to zero).
    public var learningRate: Double
    public var warmup: Int
    /// Relative difference of the two ground-truth distances below which a triplet counts as a tie and is skipped.
    public var tieMargin: Double
    public var seed: UInt64
    /// Test-split triplets the 2AFC score uses.
    public var evaluationTriplets: Int

    public init(renderSize: Int = 64, batch: Int = 32, trainSamples: Int = 1_000_000, learningRate: Double = 1e-3,
                warmup: Int = 20, tieMargin: Double = 0.1, seed: UInt64 = 0, evaluationTriplets: Int = 1000)
    {
        self.renderSize = renderSize
        self.batch = batch
        self.trainSamples = trainSamples
        self.learningRate = learningRate
        self.warmup = warmup
        self.tieMargin = tieMargin
        self.seed = seed
        self.evaluationTriplets = evaluationTriplets
    }

    public func validate() throws {
        try SettingChecks.checkRenderSize(renderSize)
        try SettingChecks.check(batch >= 1, "batch must be at least 1, got \(batch)")
        try SettingChecks.check(trainSamples >= 2, "train samples must be at least 2, got \(trainSamples)")
        try SettingChecks.check(learningRate > 0 && warmup >= 0, "learning rate must be positive, warm-up not negative")
        try SettingChecks.check((0..<1).contains(tieMargin), "tie margin \(tieMargin) is outside [0, 1)")
        try SettingChecks.check(evaluationTriplets >= 1,
                                "evaluation triplets must be at least 1, got \(evaluationTriplets)")
    }
}

extension PerceptualCalibrationConfig: TrainingSettings {
    func sameTraining(as other: Self) -> Bool {
        var mine = self
        mine.evaluationTriplets = other.evaluationTriplets
        return mine == other
    }
}
