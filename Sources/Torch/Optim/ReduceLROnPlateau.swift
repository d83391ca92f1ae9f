/// Scales the learning rates by `factor` once a metric has stopped improving for more than `patience` epochs,
/// as `torch.optim.lr_scheduler.ReduceLROnPlateau`.
///
/// After a reduction, `cooldown` epochs pass in which bad epochs are not counted. A rate never goes below its
/// group's minimum, and changes smaller than `eps` are skipped.
public final class ReduceLROnPlateau {
    public enum Mode: String, Sendable {
        /// Lower is better (a loss).
        case min
        /// Higher is better (an accuracy).
        case max
    }

    /// How far past the best value a metric must get to count as an improvement.
    public enum ThresholdMode: String, Sendable {
        /// Beyond `best * (1 -/+ threshold)`.
        case rel
        /// Beyond `best -/+ threshold`.
        case abs
    }

    public let optimizer: any Optimizer
    // Loading a state sets every setting to the saved one, as in PyTorch.
    public private(set) var mode: Mode
    public private(set) var factor: Double
    public private(set) var patience: Int
    public private(set) var threshold: Double
    public private(set) var thresholdMode: ThresholdMode
    public private(set) var cooldown: Int
    public private(set) var eps: Double
    /// Per-group floors; with a single `minLR` they follow the group count, as in PyTorch.
    public private(set) var minLRs: [Double]
    private var defaultMinLR: Double?

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
        try Self.check(factor: factor)
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

    private static func check(factor: Double) throws {
        guard factor < 1 else { throw TorchError("Factor should be < 1.0.") }
    }

    // MARK: state dict

    /// The state in PyTorch's `state_dict()` layout, key for key ("factor", "default_min_lr", "min_lrs", ...,
    /// "best", "cooldown_counter", "num_bad_epochs").
    public func stateDict() -> StateRecord {
        [
            "factor": .double(factor), "default_min_lr": defaultMinLR.map(StateValue.double) ?? .none,
            "min_lrs": .list(minLRs.map(StateValue.double)), "patience": .int(patience), "cooldown": .int(cooldown),
            "eps": .double(eps), "last_epoch": .int(lastEpoch), "_last_lr": .list(lastLRs.map(StateValue.double)),
            "mode_worse": .double(mode == .min ? .infinity : -.infinity), "mode": .string(mode.rawValue),
            "threshold": .double(threshold), "threshold_mode": .string(thresholdMode.rawValue), "best": .double(best),
            "cooldown_counter": .int(cooldownCounter), "num_bad_epochs": .int(numBadEpochs),
        ]
    }

    /// Restores a state made by `stateDict()` (here or by PyTorch), settings included, as `load_state_dict`
    /// does; "mode_worse" follows from "mode", as PyTorch recomputes it.
    public func loadStateDict(_ saved: StateRecord) throws {
        let name = "the saved ReduceLROnPlateau state"
        let modeName = try saved.string("mode", in: name)
        let thresholdModeName = try saved.string("threshold_mode", in: name)
        guard let savedMode = Mode(rawValue: modeName) else { throw TorchError("\(name) has mode '\(modeName)'") }
        guard let savedThresholdMode = ThresholdMode(rawValue: thresholdModeName) else {
            throw TorchError("\(name) has threshold_mode '\(thresholdModeName)'")
        }
        let savedFactor = try saved.double("factor", in: name)
        try Self.check(factor: savedFactor)
        let savedDefault: Double? = switch saved["default_min_lr"] {
        case nil, .none?: nil  // absent before PyTorch 2.2; None when floors were given per group
        default: try saved.double("default_min_lr", in: name)
        }
        let savedLastLRs = try saved.doubles("_last_lr", in: name)
        guard savedLastLRs.count == optimizer.learningRates.count else {
            throw TorchError("\(name) has \(savedLastLRs.count) _last_lr for an optimiser with "
                + "\(optimizer.learningRates.count) parameter groups")
        }
        let values = (
            minLRs: try saved.doubles("min_lrs", in: name), patience: try saved.int("patience", in: name),
            cooldown: try saved.int("cooldown", in: name), eps: try saved.double("eps", in: name),
            lastEpoch: try saved.int("last_epoch", in: name), threshold: try saved.double("threshold", in: name),
            best: try saved.double("best", in: name), cooldownCounter: try saved.int("cooldown_counter", in: name),
            numBadEpochs: try saved.int("num_bad_epochs", in: name))
        mode = savedMode
        thresholdMode = savedThresholdMode
        factor = savedFactor
        defaultMinLR = savedDefault
        lastLRs = savedLastLRs
        (minLRs, patience, cooldown, eps, lastEpoch) =
            (values.minLRs, values.patience, values.cooldown, values.eps, values.lastEpoch)
        (threshold, best, cooldownCounter, numBadEpochs) =
            (values.threshold, values.best, values.cooldownCounter, values.numBadEpochs)
    }
}
