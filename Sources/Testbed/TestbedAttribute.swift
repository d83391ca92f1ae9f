import Foundation

/// Ground-truth attributes, one column each in `TestbedBatch.attributes`, in `allCases` order.
public enum TestbedAttribute: String, CaseIterable, Codable, Sendable {
    case smile, eyesOpen, mouthOpen, glasses, beard, moustache, earrings, hat, necklace, bald, bangs, longHair
    /// 1 - the hair colour's luma: 0 for white, near 1 for black.
    case hairDarkness
    case skinTone, age
    /// Degrees.
    case yaw, pitch, roll, lightAzimuth, lightElevation
    case gazeX, gazeY

    /// True for 0/1 attributes (classification); false for continuous ones (regression), whose range is `range`.
    public var isBinary: Bool {
        switch self {
        case .smile, .eyesOpen, .mouthOpen, .glasses, .beard, .moustache, .earrings, .hat, .necklace, .bald, .bangs,
             .longHair: true
        default: false
        }
    }

    public var range: ClosedRange<Float> {
        switch self {
        case .yaw: -30...30
        case .pitch: -15...15
        case .roll: -10...10
        case .lightAzimuth: -70...70
        case .lightElevation: -10...60
        case .gazeX: -1...1
        case .gazeY: -0.6...0.6
        default: 0...1
        }
    }

    /// Whether the attribute belongs to the person (same in every variation of an identity).
    public var isIdentity: Bool {
        switch self {
        case .beard, .moustache, .bald, .bangs, .longHair, .hairDarkness, .skinTone, .age: true
        default: false
        }
    }

    /// The attribute of a face as drawn. Binary expression attributes are drawn from separated ranges (a smile is
    /// at least 0.6, a neutral mouth at most 0.2), so their labels are unambiguous.
    public func value(of face: TestbedFace) -> Float {
        let i = face.identity, v = face.variation
        switch self {
        case .smile: return v.smile >= 0.4 ? 1 : 0
        case .eyesOpen: return v.eyesOpen >= 0.4 ? 1 : 0
        case .mouthOpen: return v.mouthOpen >= 0.4 ? 1 : 0
        case .glasses: return v.glasses ? 1 : 0
        case .beard: return i.beard ? 1 : 0
        case .moustache: return i.moustache ? 1 : 0
        case .earrings: return v.earrings ? 1 : 0
        case .hat: return v.hat ? 1 : 0
        case .necklace: return v.necklace ? 1 : 0
        case .bald: return i.hairStyle == .bald ? 1 : 0
        case .bangs: return i.bangs ? 1 : 0
        case .longHair: return i.hairStyle == .long ? 1 : 0
        case .hairDarkness: return 1 - i.hair.luma
        case .skinTone: return i.skinTone
        case .age: return i.age
        case .yaw: return v.yaw
        case .pitch: return v.pitch
        case .roll: return v.roll
        case .lightAzimuth: return v.lightAzimuth
        case .lightElevation: return v.lightElevation
        case .gazeX: return v.gazeX
        case .gazeY: return v.gazeY
        }
    }
}

extension TestbedAttribute {
    /// The attribute classifier's raw output for this attribute in the attribute's units: a probability for binary
    /// attributes (the output is a logit), the de-normalised value for continuous ones (the output regresses the
    /// value normalised to [0, 1] over `range`).
    public func score(output: Float) -> Float {
        isBinary ? 1 / (1 + exp(-output)) : range.lowerBound + output * (range.upperBound - range.lowerBound)
    }
}
