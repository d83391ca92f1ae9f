/// The renderer's counterfactuals: the same face with one attribute moved to one end, everything else (identity,
/// pose, light, background, noise) drawn as before. They are the ground truth an attribute edit of that face should
/// approach, which only a procedural domain can give.
extension TestbedAttribute {
    /// Whether `counterfactual` can move this attribute (hair style, colour, skin and age are drawn together with
    /// other factors, so they have none).
    public var hasCounterfactual: Bool {
        switch self {
        case .bald, .longHair, .hairDarkness, .skinTone, .age: false
        default: true
        }
    }

    /// `face` with this attribute at its positive end (present, or high for continuous ones) when `positive`, else
    /// at its negative end; nil when the attribute has no counterfactual. Binary expression values sit inside the
    /// ranges the renderer draws them from (a smile 0.8, a neutral mouth 0.1); continuous ones go to 80% of their
    /// range's half-width either side of its centre.
    public func counterfactual(of face: TestbedFace, positive: Bool) -> TestbedFace? {
        var f = face
        let end = Float(positive ? 1 : -1)
        func towards(_ range: ClosedRange<Float>) -> Float {
            let centre = (range.lowerBound + range.upperBound) / 2
            return centre + end * 0.8 * (range.upperBound - range.lowerBound) / 2
        }
        switch self {
        case .smile: f.variation.smile = positive ? 0.8 : 0.1
        case .eyesOpen: f.variation.eyesOpen = positive ? 0.85 : 0.05
        case .mouthOpen: f.variation.mouthOpen = positive ? 0.8 : 0
        case .glasses: f.variation.glasses = positive
        case .earrings: f.variation.earrings = positive
        case .hat: f.variation.hat = positive
        case .necklace: f.variation.necklace = positive
        case .beard: f.identity.beard = positive
        case .moustache: f.identity.moustache = positive
        case .bangs: f.identity.bangs = positive
        case .yaw: f.variation.yaw = towards(range)
        case .pitch: f.variation.pitch = towards(range)
        case .roll: f.variation.roll = towards(range)
        case .lightAzimuth: f.variation.lightAzimuth = towards(range)
        case .lightElevation: f.variation.lightElevation = towards(range)
        case .gazeX: f.variation.gazeX = towards(range)
        case .gazeY: f.variation.gazeY = towards(range)
        case .bald, .longHair, .hairDarkness, .skinTone, .age: return nil
        }
        return f
    }
}
