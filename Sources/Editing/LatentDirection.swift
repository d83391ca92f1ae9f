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
    /// The method that found it, when known.
    public let method: DirectionMethod?
    /// [D] float32 on the CPU: a point of the hyperplane from which position-mode strengths are measured
    /// (InterFaceGAN: the origin, through which its boundary n·w = 0 passes; GANSpace: the samples' mean).
    /// nil when the direction defines no position (SeFa).
    public let centre: Tensor?

    /// Normalises `vector` ([D] or [1, D]) to unit length; `centre` is [D] or [1, D].
    public init(vector: Tensor, unit: Double = 1, rows: [Int]? = nil, label: String, method: DirectionMethod? = nil,
                centre: Tensor? = nil) throws
    {
        let flat = try vector.to(device: .cpu, dtype: .float64)
        guard flat.rank == 1 || (flat.rank == 2 && flat.size(0) == 1) else {
            throw TorchError("a direction must be [D] or [1, D], got \(vector.shape)")
        }
        guard try flat.isfinite().all().item() != 0 else { throw TorchError("direction contains NaN or infinity") }
        let norm = try flat.norm().item()
        guard norm > 0 else { throw TorchError("direction is the zero vector") }
        guard unit.isFinite, unit > 0 else { throw TorchError("direction unit must be finite and positive, got \(unit)") }
        if let centre {
            guard centre.count == flat.count, centre.rank == 1 || (centre.rank == 2 && centre.size(0) == 1) else {
                throw TorchError("a direction's centre must be [D] or [1, D] with D = \(flat.count), got \(centre.shape)")
            }
            guard try centre.isfinite().all().item() != 0 else { throw TorchError("direction centre contains NaN or infinity") }
        }
        self.vector = try (flat.reshape([-1]) / norm).to(dtype: .float32)
        self.unit = unit
        self.rows = rows
        self.label = label
        self.method = method
        self.centre = try centre?.to(device: .cpu, dtype: .float32).reshape([-1])
    }

    public var dimension: Int { vector.count }

    /// The strengths an edit sweeps when it names none: those of the method's official tool (InterFaceGAN's
    /// when the method is not known).
    public var defaultStrengths: [Double] { (method ?? .interfacegan).defaultStrengths }

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
        return try LatentDirection(vector: projected, unit: unit, rows: rows, label: label, method: method, centre: centre)
    }
}
