import Foundation

/// Cosine annealing from each group's base learning rate down to `etaMin` over `tMax` epochs, as
/// `torch.optim.lr_scheduler.CosineAnnealingLR`.
///
/// Uses PyTorch's closed form, `etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, rather than its
/// recursive update: the values are the same without rounding drift, and past `tMax` the rate rises again
/// along the same cosine, as in PyTorch.
public final class CosineAnnealingLR: LRScheduler {
    public let tMax: Int
    public let etaMin: Double

    public init(_ optimizer: any Optimizer, tMax: Int, etaMin: Double = 0) throws {
        guard tMax >= 1 else { throw TorchError("CosineAnnealingLR T_max must be positive, got \(tMax)") }
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer) { base, _, epoch in
            etaMin + (base - etaMin) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        }
    }
}
