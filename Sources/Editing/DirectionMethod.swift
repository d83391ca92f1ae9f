/// The method a direction was found by, which fixes the strengths its official tool sweeps by default.
public enum DirectionMethod: String, Codable, CaseIterable, Sendable {
    case interfacegan, ganspace, sefa

    /// InterFaceGAN's `edit.py`: distances -3...3 in 10 steps; SeFa's `sefa.py`: -3...3 in 11; GANSpace's
    /// `visualize.py`: ±2 sigma (`--sigma 2`) in 5 columns.
    public var defaultStrengths: [Double] {
        switch self {
        case .interfacegan: DirectionMethod.linspace(-3, 3, 10)
        case .sefa: DirectionMethod.linspace(-3, 3, 11)
        case .ganspace: DirectionMethod.linspace(-2, 2, 5)
        }
    }

    /// `count` evenly spaced values from `start` to `end`, both included (NumPy's linspace).
    private static func linspace(_ start: Double, _ end: Double, _ count: Int) -> [Double] {
        count == 1 ? [start] : (0..<count).map { start + (end - start) * Double($0) / Double(count - 1) }
    }
}
