import Torch

/// A direction in W and how far one unit of strength moves along it.
///
/// InterFaceGAN and SeFa edits add `strength` times the unit vector; GANSpace measures strength in standard
/// deviations of the samples along the component (its sigma), so its `unit` is that deviation.
public struct LatentDirection {
    /// [D], unit length, float32 on the CPU.
    public let vector: Tensor
    /// Distance moved per unit of strength.
    public let unit: Double
    /// The w+ rows the direction was made for (SeFa's factorised layers), used when an edit names none.
    public let rows: [Int]?
    /// A short name for file names and messages, e.g. "sefa3".
    public let label: String

    /// Normalises `vector` ([D] or [1, D]) to unit length.
    public init(vector: Tensor, unit: Double = 1, rows: [Int]? = nil, label: String) throws {
        let flat = try vector.to(device: .cpu, dtype: .float64)
        guard flat.rank == 1 || (flat.rank == 2 && flat.size(0) == 1) else {
            throw TorchError("a direction must be [D] or [1, D], got \(vector.shape)")
        }
        guard try flat.isfinite().all().item() != 0 else { throw TorchError("direction contains NaN or infinity") }
        let norm = try flat.norm().item()
        guard norm > 0 else { throw TorchError("direction is the zero vector") }
        guard unit.isFinite, unit > 0 else { throw TorchError("direction unit must be finite and positive, got \(unit)") }
        self.vector = try (flat.reshape([-1]) / norm).to(dtype: .float32)
        self.unit = unit
        self.rows = rows
        self.label = label
    }

    public var dimension: Int { vector.count }

    /// Checks the direction lives in a generator's W (`styleDim` wide).
    public func check(styleDim: Int) throws {
        guard dimension == styleDim else {
            throw TorchError("direction has \(dimension) values, this generator's W has \(styleDim)")
        }
    }

    /// The same direction made orthogonal to `conditions` (InterFaceGAN's conditional editing).
    public func conditioned(on conditions: [Tensor]) throws -> LatentDirection {
        guard !conditions.isEmpty else { return self }
        let projected = try ConditionalDirection.project(vector, onto: conditions)
        return try LatentDirection(vector: projected, unit: unit, rows: rows, label: label)
    }
}
