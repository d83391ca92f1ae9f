import Foundation

/// Perception networks: the losses methods train with and the metrics papers report.
public enum Perception {
    /// The folder of weights shipped inside the package (LPIPS linear layers, MTCNN).
    public static var bundledWeights: URL {
        Bundle.module.bundleURL.appendingPathComponent("Weights")
    }
}
