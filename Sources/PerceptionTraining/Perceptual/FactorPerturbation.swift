import Testbed

/// Groups of a face's factors that a perceptual pair moves together, and the ground-truth distance between two
/// faces that the testbed's LPIPS is calibrated to rank: the sum over every factor below of its absolute change
/// divided by its spread over the population (`FactorScales`). Binary factors count 0 or 1 over their spread.
public enum FactorGroup: String, CaseIterable, Codable, Sendable {
    case pose, expression, light, background, clothes, accessories, skin, hair, headShape, eyes, features

    /// The continuous factors of the group.
    var continuous: [WritableKeyPath<TestbedFace, Float>] {
        switch self {
        case .pose: [\.variation.yaw, \.variation.pitch, \.variation.roll, \.variation.offsetX, \.variation.offsetY,
                     \.variation.scale]
        case .expression: [\.variation.smile, \.variation.mouthOpen, \.variation.eyesOpen, \.variation.gazeX,
                           \.variation.gazeY, \.variation.browRaise]
        case .light: [\.variation.lightAzimuth, \.variation.lightElevation, \.variation.ambient]
        case .background: Self.rgb(\.variation.backgroundTop) + Self.rgb(\.variation.backgroundBottom)
            + [\.variation.gradientAngle, \.variation.texture]
        case .clothes: Self.rgb(\.variation.cloth) + [\.variation.neckline]
        case .accessories: []
        case .skin: [\.identity.skinTone] + Self.rgb(\.identity.skin) + Self.rgb(\.identity.lips)
        case .hair: Self.rgb(\.identity.hair)
        case .headShape: [\.identity.headWidth, \.identity.headLength, \.identity.headDepth, \.identity.jaw]
        case .eyes: [\.identity.eyeSize, \.identity.eyeAspect, \.identity.eyeSpacing, \.identity.eyeHeight,
                     \.identity.irisSize] + Self.rgb(\.identity.iris)
        case .features: [\.identity.browThickness, \.identity.browArch, \.identity.browHeight, \.identity.noseLength,
                         \.identity.noseWidth, \.identity.earSize, \.identity.mouthWidth, \.identity.lipThickness,
                         \.identity.age]
        }
    }

    /// The binary factors of the group: they take the other face's value when the group moves at least halfway.
    var binary: [WritableKeyPath<TestbedFace, Bool>] {
        switch self {
        case .accessories: [\.variation.glasses, \.variation.earrings, \.variation.hat, \.variation.necklace]
        case .hair: [\.identity.bangs]
        case .features: [\.identity.beard, \.identity.moustache]
        default: []
        }
    }

    private static func rgb(_ colour: WritableKeyPath<TestbedFace, RGB>) -> [WritableKeyPath<TestbedFace, Float>] {
        [colour.appending(path: \.r), colour.appending(path: \.g), colour.appending(path: \.b)]
    }

    // Built once, as `FactorScales.distance` walks them for every pair. Key paths are immutable, so sharing them
    // across threads is safe although the type does not say Sendable.
    nonisolated(unsafe) static let allContinuous: [WritableKeyPath<TestbedFace, Float>] = allCases.flatMap(\.continuous)
    nonisolated(unsafe) static let allBinary: [WritableKeyPath<TestbedFace, Bool>] = allCases.flatMap(\.binary)
}

/// Each factor's standard deviation over the first `count` faces of the train split, so that every factor's change
/// weighs by how much it varies in the data, whatever its units.
public struct FactorScales: Sendable {
    let continuous: [Float]
    let binary: [Float]

    public init(count: Int = 2000) {
        let faces = (0..<count).map { TestbedSplit.train.sample(at: $0).face }
        func spread(_ values: [Float]) -> Float {
            let mean = values.reduce(0, +) / Float(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)
            return Swift.max(variance.squareRoot(), 1e-3)
        }
        continuous = FactorGroup.allContinuous.map { path in spread(faces.map { $0[keyPath: path] }) }
        binary = FactorGroup.allBinary.map { path in spread(faces.map { $0[keyPath: path] ? 1 : 0 }) }
    }

    /// The ground-truth distance between two faces (see `FactorGroup`).
    public func distance(_ a: TestbedFace, _ b: TestbedFace) -> Double {
        var total: Float = 0
        for (path, scale) in zip(FactorGroup.allContinuous, continuous) { total += abs(a[keyPath: path] - b[keyPath: path]) / scale }
        for (path, scale) in zip(FactorGroup.allBinary, binary) where a[keyPath: path] != b[keyPath: path] { total += 1 / scale }
        return Double(total)
    }
}

extension TestbedFace {
    /// This face with `group` moved a fraction `amount` (0...1) of the way to `other`'s values.
    func moved(_ group: FactorGroup, towards other: TestbedFace, amount: Float) -> TestbedFace {
        var face = self
        for path in group.continuous { face[keyPath: path] += amount * (other[keyPath: path] - self[keyPath: path]) }
        if amount >= 0.5 { for path in group.binary { face[keyPath: path] = other[keyPath: path] } }
        return face
    }
}
