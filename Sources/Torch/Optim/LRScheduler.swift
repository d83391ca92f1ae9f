/// An epoch-based learning-rate schedule driving an optimiser's per-group learning rates, as
/// `torch.optim.lr_scheduler.LRScheduler`.
///
/// As in PyTorch, creating a scheduler is epoch 0 and leaves the learning rates as they are; call `step()` once
/// per epoch (or iteration), after `optimizer.step()`.
public class LRScheduler {
    /// Next learning rate of one group from its base rate, its current rate and the new epoch.
    typealias Rule = (_ base: Double, _ current: Double, _ epoch: Int) -> Double

    public let optimizer: any Optimizer
    /// The learning rates the optimiser had when the scheduler was created.
    public let baseLRs: [Double]
    public private(set) var lastEpoch = 0
    /// The learning rates set by the latest step, as `get_last_lr()`.
    public private(set) var lastLRs: [Double]
    private let rule: Rule

    init(_ optimizer: any Optimizer, rule: @escaping Rule) {
        self.optimizer = optimizer
        baseLRs = optimizer.learningRates
        lastLRs = baseLRs
        self.rule = rule
    }

    public func step() {
        lastEpoch += 1
        let current = optimizer.learningRates
        precondition(current.count == baseLRs.count,
                     "the optimiser has \(current.count) parameter groups, the scheduler was made for \(baseLRs.count)")
        let epoch = lastEpoch
        optimizer.learningRates = zip(baseLRs, current).map { rule($0, $1, epoch) }
        lastLRs = optimizer.learningRates
    }
}
