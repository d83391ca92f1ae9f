import Testbed
import Torch

/// The classifier's view of `TestbedAttribute`: one output per attribute in `allCases` order; binary ones are
/// logits (binary cross-entropy), continuous ones regress the value normalised to [0, 1] by its range (MSE).
public enum AttributeTargets {
    public static let attributes = TestbedAttribute.allCases
    public static var names: [String] { attributes.map(\.rawValue) }

    /// 1 for binary columns, 0 for continuous: [A].
    static func binaryMask(device: Device) throws -> Tensor {
        try Tensor(attributes.map { $0.isBinary ? Float(1) : 0 }, shape: [attributes.count]).to(device: device)
    }

    /// Lower bounds and widths of the ranges (0 and 1 for binary columns): [A] each.
    static func ranges(device: Device) throws -> (low: Tensor, width: Tensor) {
        let low = attributes.map { $0.isBinary ? Float(0) : $0.range.lowerBound }
        let width = attributes.map { $0.isBinary ? Float(1) : $0.range.upperBound - $0.range.lowerBound }
        return (try Tensor(low, shape: [low.count]).to(device: device),
                try Tensor(width, shape: [width.count]).to(device: device))
    }

    /// Binary cross-entropy with logits over the binary columns plus the mean squared error of the
    /// range-normalised continuous ones: outputs and attributes [N, A] -> scalars.
    public static func losses(outputs: Tensor, attributes: Tensor) throws -> (binary: Tensor, continuous: Tensor) {
        let device = outputs.device
        let mask = try binaryMask(device: device)
        let (low, width) = try ranges(device: device)
        let target = try (attributes.to(device: device) - low) / width
        let binaryCount = Swift.max(1.0, try mask.sum().item())
        let continuousCount = Swift.max(1.0, Double(attributes.shape[1]) - binaryCount)
        let rows = Double(outputs.shape[0])
        // softplus(x) - x y is -[y log σ(x) + (1 - y) log(1 - σ(x))], stable for any x.
        let bce = try ((F.softplus(outputs) - outputs * target) * mask).sum() / (rows * binaryCount)
        let mse = try ((outputs - target).square() * (1 - mask)).sum() / (rows * continuousCount)
        return (bce, mse)
    }

    /// Predictions in the attributes' units: 0/1 for binary columns, the de-normalised value for the others.
    public static func predictions(outputs: Tensor) throws -> Tensor {
        let device = outputs.device
        let mask = try binaryMask(device: device)
        let (low, width) = try ranges(device: device)
        let decided = try outputs.gt(0).to(dtype: .float32)
        return try decided * mask + (outputs * width + low) * (1 - mask)
    }
}
