import Perception
import Torch

/// A reconstruction loss between generated and target images [N, 3, H, W] in [-1, 1], as a closure so methods
/// can combine L2, LPIPS, identity and parsing terms without knowing which networks are present.
public struct ImageLoss {
    /// Named terms; the loss is their sum.
    public let terms: [(name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor)]

    public init(terms: [(name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor)]) {
        self.terms = terms
    }

    /// Mean squared error over all elements (`F.mse_loss`).
    public static func l2(weight: Double = 1) -> (name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor) {
        ("l2", weight, { try F.mseLoss($0, $1) })
    }

    /// Smooth-L1 with `beta` (GANI's reconstruction term for cars, churches and horses).
    public static func smoothL1(beta: Double, weight: Double = 1)
        -> (name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor)
    {
        ("smooth-l1", weight, { try F.smoothL1Loss($0, $1, beta: beta) })
    }

    /// LPIPS summed over the batch (the projector's `percept(img_gen, imgs).sum()`), images average-pooled to
    /// 256 first when larger, as the reference projector does.
    public static func lpips(_ network: LPIPS, weight: Double = 1)
        -> (name: String, weight: Double, compute: (Tensor, Tensor) throws -> Tensor)
    {
        ("lpips", weight, { x, y in try network(downTo256(x), downTo256(y)).sum() })
    }

    /// Average-pools [N, C, H, W] by an integer factor down to 256, leaving smaller images as they are.
    public static func downTo256(_ x: Tensor) throws -> Tensor {
        let h = x.size(2)
        guard h > 256 else { return x }
        let factor = h / 256
        return try F.avgPool2d(x, kernel: (factor, factor))
    }

    /// The weighted sum and each term's value (for progress display and loss curves).
    public func callAsFunction(_ generated: Tensor, _ target: Tensor) throws -> (total: Tensor, parts: [(String, Double)]) {
        var total: Tensor?
        var parts: [(String, Double)] = []
        for term in terms where term.weight != 0 {
            let value = try term.compute(generated, target)
            parts.append((term.name, try value.item()))
            let weighted = try value * term.weight
            total = try total.map { try $0 + weighted } ?? weighted
        }
        guard let total else { throw TorchError("the image loss has no terms with non-zero weight") }
        return (total, parts)
    }
}
