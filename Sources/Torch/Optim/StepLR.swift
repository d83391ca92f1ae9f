/// Multiplies each group's learning rate by `gamma` every `stepSize` epochs, as `torch.optim.lr_scheduler.StepLR`.
///
/// Like PyTorch's `step()` it scales the current rate rather than recomputing it from the base, so it composes
/// with other changes to the learning rate.
public final class StepLR: LRScheduler {
    public let stepSize: Int
    public let gamma: Double

    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) throws {
        guard stepSize >= 1 else { throw TorchError("StepLR step_size must be positive, got \(stepSize)") }
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer) { _, current, epoch in epoch % stepSize == 0 ? current * gamma : current }
    }
}
