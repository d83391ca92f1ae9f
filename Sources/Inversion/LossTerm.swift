import Foundation

/// The image-loss terms a user chooses among (`stylegan invert --losses`, the web editor's loss picker).
///
/// Each term names what it measures and which network it needs; `InversionMethod` says which a method uses by
/// default, and `LossNetworks` loads the networks. The raw values are the command line's spelling.
public enum LossTerm: String, Codable, CaseIterable, Comparable, Sendable {
    /// Pixel-wise reconstruction: mean squared error, or smooth-L1 where a method's domain asks for it (GANI's
    /// cars, churches and horses). Needs no network.
    case l2
    /// LPIPS v0.1: the VGG16 backbone for the projectors (as rosinality's `projector.py`), AlexNet for PTI and GANI.
    case lpips
    /// The StyleGAN2-ADA VGG16 feature distance (NVIDIA's `vgg16.pt`): PTI's pivot projector.
    case vgg
    /// Identity: 1 − cosine similarity of ArcFace IR-SE50 embeddings (MoCo v2 for non-face domains).
    case id
    /// Face parsing: the layer-wise cosine distance of a U-Net parser's contracting-path features (GANI).
    case parsing

    public static func < (a: LossTerm, b: LossTerm) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Parses "l2,lpips": every name known, at least one, no repeats.
    public static func parse(_ list: String) throws -> Set<LossTerm> {
        let names = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var terms = Set<LossTerm>()
        for name in names {
            guard let term = LossTerm(rawValue: name) else {
                throw InversionError.invalidOption(
                    "unknown loss term '\(name)'; the terms are \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard terms.insert(term).inserted else { throw InversionError.invalidOption("loss term '\(name)' given twice") }
        }
        return terms
    }

    /// "l2,lpips" in canonical order.
    public static func list(_ terms: Set<LossTerm>) -> String {
        terms.sorted().map(\.rawValue).joined(separator: ",")
    }
}
