import Torch

/// Wall-clock seconds per image of a batched computation, for the runtime column of an evaluation.
///
/// libtorch runs CUDA work asynchronously, so a measurement ends only once one element of the result has been read
/// back to the host, which waits for the work to finish; otherwise only the kernel launches would be timed.
/// Leave warm-up batches unmeasured (call the body directly), as the first calls pay for allocation and tuning.
public struct RuntimeMeter: Sendable {
    /// One entry per image measured: its batch's time divided by the batch size.
    public private(set) var secondsPerImage: [Double] = []

    public init() {}

    /// Runs `body` on a batch of `images` images, records the elapsed time per image, and returns the result.
    @discardableResult
    public mutating func measure(images: Int, _ body: () throws -> Tensor) throws -> Tensor {
        guard images > 0 else { throw TorchError("RuntimeMeter: a batch needs at least one image, got \(images)") }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try body()
        if result.count > 0 { _ = try result.flatten()[0].item() }
        let elapsed = (clock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        secondsPerImage += repeatElement(seconds / Double(images), count: images)
        return result
    }

    /// Mean and std of the seconds per image.
    public func summary(name: String = "runtime (s/image)") throws -> MetricSummary {
        try MetricSummary(name: name, values: secondsPerImage)
    }
}
