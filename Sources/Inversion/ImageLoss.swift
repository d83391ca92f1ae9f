import Foundation
import Perception
import Torch

/// A reconstruction loss between generated and target images [N, 3, H, W] in [-1, 1]: a weighted sum of named
/// terms, so methods combine pixel, perceptual, identity and parsing terms without knowing which networks exist.
public struct ImageLoss {
    /// One weighted term.
    public struct Term {
        /// Which user-facing term this is.
        public let kind: LossTerm
        /// How it is reported ("l2", "smooth-l1", "lpips", ...).
        public let label: String
        public let weight: Double
        /// (generated, target) -> scalar.
        public let compute: (Tensor, Tensor) throws -> Tensor

        public init(_ kind: LossTerm, label: String? = nil, weight: Double = 1,
                    compute: @escaping (Tensor, Tensor) throws -> Tensor)
        {
            self.kind = kind
            self.label = label ?? kind.rawValue
            self.weight = weight
            self.compute = compute
        }

        /// The same term with another weight.
        public func weighted(_ weight: Double) -> Term {
            Term(kind, label: label, weight: weight, compute: compute)
        }
    }

    /// The loss is their sum; terms of weight 0 are skipped.
    public let terms: [Term]

    public init(terms: [Term]) {
        self.terms = terms
    }

    /// Labels of the terms that count, in order ("l2,lpips"), as inversion files record them.
    public var description: String { terms.filter { $0.weight != 0 }.map(\.label).joined(separator: ",") }

    /// Mean squared error over all elements (`F.mse_loss`).
    public static func l2(weight: Double = 1) -> Term {
        Term(.l2, weight: weight) { try F.mseLoss($0, $1) }
    }

    /// Smooth-L1 with `beta` (GANI's reconstruction term for cars, churches and horses).
    public static func smoothL1(beta: Double, weight: Double = 1) -> Term {
        Term(.l2, label: "smooth-l1", weight: weight) { try F.smoothL1Loss($0, $1, beta: beta) }
    }

    /// LPIPS summed over the batch (the projector's `percept(img_gen, imgs).sum()`), images average-pooled to
    /// 256 first when larger, as the reference projector does.
    public static func lpips(_ network: LPIPS, weight: Double = 1) -> Term {
        Term(.lpips, weight: weight) { x, y in try network(downTo256(x), downTo256(y)).sum() }
    }

    /// LPIPS at full resolution, summed over the batch (PTI's tuning loss: it does not pool).
    public static func lpipsFullResolution(_ network: LPIPS, weight: Double = 1) -> Term {
        Term(.lpips, weight: weight) { x, y in try network(x, y).sum() }
    }

    /// The StyleGAN2-ADA VGG16 feature distance (PTI's `w_projector`): the sum of squared differences of the
    /// normalised features of both images, area-pooled to 256. The target's features are computed once per target.
    public static func featureVGG(_ network: VGG16FeatureDistance, weight: Double = 1) -> Term {
        let cache = TargetFeatures()
        return Term(.vgg, weight: weight) { x, y in
            try network.distance(network.features(x), cache.features(of: y) { try network.features($0) })
        }
    }

    /// Average-pools [N, C, H, W] by an integer factor down to 256, leaving smaller images as they are.
    public static func downTo256(_ x: Tensor) throws -> Tensor {
        let h = x.size(2)
        guard h > 256 else { return x }
        let factor = h / 256
        return try F.avgPool2d(x, kernel: (factor, factor))
    }

    /// The weighted sum and each term's value (for progress display and loss curves).
    public func callAsFunction(_ generated: Tensor, _ target: Tensor) throws -> (total: Tensor, parts: [(LossTerm, Double)]) {
        var total: Tensor?
        var parts: [(LossTerm, Double)] = []
        for term in terms where term.weight != 0 {
            let value = try term.compute(generated, target)
            parts.append((term.kind, try value.item()))
            let weighted = try value * term.weight
            total = try total.map { try $0 + weighted } ?? weighted
        }
        guard let total else { throw TorchError("the image loss has no terms with non-zero weight") }
        return (total, parts)
    }
}

/// The last target's features, kept while the same target tensor comes back step after step.
private final class TargetFeatures: @unchecked Sendable {
    private let lock = NSLock()
    private var target: Tensor?
    private var features: Tensor?

    func features(of target: Tensor, compute: (Tensor) throws -> Tensor) throws -> Tensor {
        lock.lock()
        defer { lock.unlock() }
        if let features, self.target === target { return features }
        let computed = try withNoGrad { try compute(target) }
        (self.target, features) = (target, computed)
        return computed
    }
}
