import Torch

/// A named number: a loss term, a statistic, a metric.
public struct Scalar: Equatable, Sendable {
    public let name: String
    public let value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// What one step reports: its scalars in the order the progress line and the log show them, and images to
/// put in TensorBoard (only on the steps that return them).
public struct StepReport: Sendable {
    public var scalars: [Scalar]
    /// Tag -> images [N, C, H, W] or [C, H, W] in [-1, 1]; a batch becomes one grid.
    public var images: [(tag: String, images: Tensor)]

    public init(scalars: [Scalar], images: [(tag: String, images: Tensor)] = []) {
        self.scalars = scalars
        self.images = images
    }

    /// A report of named losses, kept in the order written: `StepReport(losses: ["d": d, "g": g])`.
    public init(losses: KeyValuePairs<String, Double>, images: [(tag: String, images: Tensor)] = []) {
        self.init(scalars: losses.map { Scalar($0.key, $0.value) }, images: images)
    }
}
