import Torch

/// An inversion method ready to run: the generator, the encoder and the loss networks it needs are already
/// loaded. Every method (projectors, PTI, GANI, the encoders and the encoder-pivot tunings) implements it, so the
/// command line, the demo and the web editor call one thing.
public protocol Inverter {
    var method: InversionMethod { get }
    /// Inverts one image `target` [1, 3, S, S] in [-1, 1] (S the generator's size); `control` reports progress
    /// and may cancel (then `InversionError.cancelled` is thrown).
    func invert(_ target: Tensor, control: InversionControl) throws -> InversionOutcome
}

/// A step of a running inversion.
public struct InversionProgress: Sendable {
    public enum Stage: String, Sendable {
        /// Projecting the target for a tuning pivot.
        case pivot
        /// Optimising the code (projectors).
        case optimization
        /// Tuning the generator around the pivot.
        case tuning
        /// An encoder's forward pass.
        case encoding
    }

    public let stage: Stage
    public let step: Int
    public let total: Int
    /// The loss after the step, when the stage has one.
    public let loss: Double?
    /// The image [1, 3, S, S] the step rendered (detached), when the stage renders one: what a live preview shows.
    public let image: Tensor?
}

/// Progress and cancellation for a running inversion (the web editor shows the first and offers the second).
public struct InversionControl {
    public let progress: (InversionProgress) -> Void
    public let isCancelled: () -> Bool

    public init(progress: @escaping (InversionProgress) -> Void = { _ in }, isCancelled: @escaping () -> Bool = { false }) {
        self.progress = progress
        self.isCancelled = isCancelled
    }

    /// No reports, never cancelled.
    public static var silent: InversionControl { InversionControl() }

    /// Reports a step, then stops the run if cancellation was asked for.
    func report(_ stage: InversionProgress.Stage, _ step: Int, of total: Int, loss: Double? = nil, image: Tensor? = nil)
        throws
    {
        progress(InversionProgress(stage: stage, step: step, total: total, loss: loss, image: image))
        try checkCancelled()
    }

    func checkCancelled() throws {
        if isCancelled() { throw InversionError.cancelled }
    }
}
