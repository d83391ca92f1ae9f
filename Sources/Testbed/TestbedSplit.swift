/// Fixed disjoint identity ranges, so a network trained on `train` is measured on faces it never saw.
///
/// Index `i` of a split is identity `identities.lowerBound + i / variationsPerIdentity`, variation
/// `i % variationsPerIdentity`. `wild` also always applies photo-like degradations (noise, blur, JPEG).
public enum TestbedSplit: String, Codable, CaseIterable, Sendable {
    case train, test, wild

    /// Renders of one identity that differ only in pose, expression, light, background and accessories.
    public static let variationsPerIdentity = 16

    /// The global identity ids of this split; the three ranges never overlap.
    public var identities: Range<Int> {
        switch self {
        case .train: 0..<1_000_000
        case .test: 1_000_000..<1_100_000
        case .wild: 2_000_000..<2_100_000
        }
    }

    /// How many samples the split holds (its valid indices are `0..<count`).
    public var count: Int { identities.count * Self.variationsPerIdentity }

    /// Whether every render of the split carries photo-like degradations.
    public var isDegraded: Bool { self == .wild }

    /// The sample at `index` of this split (`0 <= index < count`).
    public func sample(at index: Int) -> TestbedSample {
        precondition((0..<count).contains(index), "index \(index) is outside the \(rawValue) split (0..<\(count))")
        return TestbedSample(split: self, identity: identities.lowerBound + index / Self.variationsPerIdentity,
                             variation: index % Self.variationsPerIdentity)
    }
}
