/// Scales the learning rates by `factor` once a metric has stopped improving for more than `patience` epochs,
/// as `torch.optim.lr_scheduler.ReduceLROnPlateau`.
///
/// After a reduction, `cooldown` epochs pass in which bad epochs are not counted. A rate never goes below its
/// group's minimum, and changes smaller than `eps` are skipped.
public final class ReduceLROnPlateau {
    public enum Mode: Sendable {
        /// Lower is better (a loss).
        case min
        /// Higher is better (an accuracy).
        case max
    }

    /// How far past the best value a metric must get to count as an improvement.
    public enum ThresholdMode: Sendable {
        /// Beyond `best * (1 -/+ threshold)`.
        case rel
        /// Beyond `best -/+ threshold`.
        case abs
    }

    public let optimizer: any Optimizer
    public let mode: Mode
    public let factor: Double
    public let patience: Int
    public let threshold: Double
    public let thresholdMode: ThresholdMode
    public let cooldown: Int
    public let eps: Double
    /// Per-group floors; with a single `minLR` they follow the group count, as in PyTorch.
    public private(set) var minLRs: [Double]
    private let defaultMinLR: Double?

    /// The best metric so far (+inf or -inf before the first step).
    public private(set) var best: Double
    public private(set) var numBadEpochs = 0
    public private(set) var cooldownCounter = 0
    public private(set) var lastEpoch = 0
    public private(set) var lastLRs: [Double]

    /// One floor `minLR` for every group.
    public convenience init(_ optimizer: any Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                            threshold: Double = 1e-4, thresholdMode: ThresholdMode = .rel, cooldown: Int = 0,
                            minLR: Double = 0, eps: Double = 1e-8) throws
    {
        try self.init(optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold,
                      thresholdMode: thresholdMode, cooldown: cooldown,
                      floors: Array(repeating: minLR, count: optimizer.learningRates.count), defaultMinLR: minLR,
                      eps: eps)
    }

    /// A floor per group.
    public convenience init(_ optimizer: any Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                            threshold: Double = 1e-4, thresholdMode: ThresholdMode = .rel, cooldown: Int = 0,
                            minLRs: [Double], eps: Double = 1e-8) throws
    {
        guard minLRs.count == optimizer.learningRates.count else {
            throw TorchError("expected \(optimizer.learningRates.count) min_lrs, got \(minLRs.count)")
        }
        try self.init(optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold,
                      thresholdMode: thresholdMode, cooldown: cooldown, floors: minLRs, defaultMinLR: nil, eps: eps)
    }

    private init(_ optimizer: any Optimizer, mode: Mode, factor: Double, patience: Int, threshold: Double,
                 thresholdMode: ThresholdMode, cooldown: Int, floors: [Double], defaultMinLR: Double?,
                 eps: Double) throws
    {
        guard factor < 1 else { throw TorchError("Factor should be < 1.0.") }
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.thresholdMode = thresholdMode
        self.cooldown = cooldown
        self.eps = eps
        minLRs = floors
        self.defaultMinLR = defaultMinLR
        best = mode == .min ? .infinity : -.infinity
        lastLRs = optimizer.learningRates
    }

    public var inCooldown: Bool { cooldownCounter > 0 }

    /// Records one epoch's metric and reduces the learning rates if it has plateaued.
    public func step(_ metric: Double) throws {
        lastEpoch += 1
        if isBetter(metric) {
            best = metric
            numBadEpochs = 0
        } else {
            numBadEpochs += 1
        }
        if inCooldown {
            cooldownCounter -= 1
            numBadEpochs = 0
        }
        if numBadEpochs > patience {
            try reduceLearningRates()
            cooldownCounter = cooldown
            numBadEpochs = 0
        }
        lastLRs = optimizer.learningRates
    }

    private func isBetter(_ metric: Double) -> Bool {
        switch (mode, thresholdMode) {
        case (.min, .rel): metric < best * (1 - threshold)
        case (.min, .abs): metric < best - threshold
        case (.max, .rel): metric > best * (threshold + 1)
        case (.max, .abs): metric > best + threshold
        }
    }

    private func reduceLearningRates() throws {
        var rates = optimizer.learningRates
        if rates.count != minLRs.count {
            guard let defaultMinLR else {
                throw TorchError("The number of param groups in the optimizer (\(rates.count)) differs from when "
                    + "ReduceLROnPlateau was initialized (\(minLRs.count)); set one min_lr per group")
            }
            minLRs = Array(repeating: defaultMinLR, count: rates.count)
        }
        for i in rates.indices {
            let reduced = Swift.max(rates[i] * factor, minLRs[i])
            if rates[i] - reduced > eps { rates[i] = reduced }
        }
        optimizer.learningRates = rates
    }
}
