/// An epoch-based learning-rate schedule driving an optimiser's per-group learning rates, as
/// `torch.optim.lr_scheduler.LRScheduler`.
///
/// As in PyTorch, creating a scheduler is epoch 0 and leaves the learning rates as they are; call `step()` once
/// per epoch (or iteration), after `optimizer.step()`.
public class LRScheduler {
    public let optimizer: any Optimizer
    /// The learning rates the optimiser had when the scheduler was created (or those of a loaded state).
    public private(set) var baseLRs: [Double]
    public private(set) var lastEpoch = 0
    /// The learning rates set by the latest step, as `get_last_lr()`.
    public private(set) var lastLRs: [Double]

    init(_ optimizer: any Optimizer) {
        self.optimizer = optimizer
        baseLRs = optimizer.learningRates
        lastLRs = baseLRs
    }

    /// The learning rate of one group at `epoch`, from its base rate and its current rate. Each schedule
    /// overrides it; this one keeps the current rate.
    func learningRate(base: Double, current: Double, epoch: Int) -> Double { current }

    public func step() {
        lastEpoch += 1
        let current = optimizer.learningRates
        precondition(current.count == baseLRs.count,
                     "the optimiser has \(current.count) parameter groups, the scheduler was made for \(baseLRs.count)")
        let epoch = lastEpoch
        optimizer.learningRates = zip(baseLRs, current).map { learningRate(base: $0, current: $1, epoch: epoch) }
        lastLRs = optimizer.learningRates
    }

    // MARK: state dict

    /// The schedule's own settings, which come first in its state dict (StepLR's "step_size" and "gamma").
    var settings: StateRecord { [:] }

    /// Checks and applies the settings of a saved state; it must change nothing when it throws.
    func loadSettings(_ saved: StateRecord, name: String) throws {}

    /// The scheduler's state in PyTorch's `state_dict()` layout: the schedule's settings, then "base_lrs",
    /// "last_epoch", "_step_count", "_is_initial", "_get_lr_called_within_step" and "_last_lr".
    public func stateDict() -> StateRecord {
        var record = settings
        record["base_lrs"] = .list(baseLRs.map(StateValue.double))
        record["last_epoch"] = .int(lastEpoch)
        record["_step_count"] = .int(lastEpoch + 1)  // PyTorch counts the step made at construction
        record["_is_initial"] = .bool(false)
        record["_get_lr_called_within_step"] = .bool(false)
        record["_last_lr"] = .list(lastLRs.map(StateValue.double))
        return record
    }

    /// Restores a state made by `stateDict()` (here or by PyTorch), settings included, as `load_state_dict`
    /// does. The learning rates themselves live in the optimiser's state.
    public func loadStateDict(_ saved: StateRecord) throws {
        let name = "the saved \(String(describing: type(of: self))) state"
        let base = try saved.doubles("base_lrs", in: name)
        let last = try saved.doubles("_last_lr", in: name)
        let epoch = try saved.int("last_epoch", in: name)
        let groups = optimizer.learningRates.count
        guard base.count == groups, last.count == groups else {
            throw TorchError("\(name) has \(base.count) base_lrs and \(last.count) _last_lr for an optimiser with "
                + "\(groups) parameter groups")
        }
        guard epoch >= 0 else { throw TorchError("\(name) has last_epoch \(epoch)") }
        try loadSettings(saved, name: name)
        baseLRs = base
        lastEpoch = epoch
        lastLRs = last
    }
}
