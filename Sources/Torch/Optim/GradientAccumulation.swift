/// Gradient accumulation: one optimiser step over several micro-batches, for batches larger than fit at once.
/// Each micro-batch's loss is divided by their count before its backward pass, so for losses that are means over
/// the batch the summed gradients equal those of the whole batch at once.
public enum GradientAccumulation {
    /// Clears the gradients, runs `loss` on each micro-batch and backpropagates it / count, then steps
    /// `optimizer`; returns the mean of the micro-batch losses.
    @discardableResult
    public static func step<Batch>(_ optimizer: some Optimizer, microBatches: [Batch],
                                   loss: (Batch) throws -> Tensor) throws -> Double
    {
        guard !microBatches.isEmpty else { throw TorchError("gradient accumulation needs at least one micro-batch") }
        try optimizer.zeroGrad()
        let scale = 1 / Double(microBatches.count)
        var total = 0.0
        for batch in microBatches {
            let value = try loss(batch)
            try (value * scale).backward()
            total += try value.item()
        }
        try optimizer.step()
        return total * scale
    }
}
