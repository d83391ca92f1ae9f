/// Multiplies each group's learning rate by `gamma` every `stepSize` epochs, as `torch.optim.lr_scheduler.StepLR`.
///
/// Like PyTorch's `step()` it scales the current rate rather than recomputing it from the base, so it composes
/// with other changes to the learning rate.
public final class StepLR: LRScheduler {
    /// Loading a state sets both to the saved ones, as in PyTorch.
    public private(set) var stepSize: Int
    public private(set) var gamma: Double

    public init(_ optimizer: any Optimizer, stepSize: Int, gamma: Double = 0.1) throws {
        try Self.check(stepSize: stepSize)
        self.stepSize = stepSize
        self.gamma = gamma
        super.init(optimizer)
    }

    private static func check(stepSize: Int) throws {
        guard stepSize >= 1 else { throw TorchError("StepLR step_size must be positive, got \(stepSize)") }
    }

    override func learningRate(base: Double, current: Double, epoch: Int) -> Double {
        epoch % stepSize == 0 ? current * gamma : current
    }

    override var settings: StateRecord { ["step_size": .int(stepSize), "gamma": .double(gamma)] }

    override func loadSettings(_ saved: StateRecord, name: String) throws {
        let savedStepSize = try saved.int("step_size", in: name)
        let savedGamma = try saved.double("gamma", in: name)
        try Self.check(stepSize: savedStepSize)
        (stepSize, gamma) = (savedStepSize, savedGamma)
    }
}
