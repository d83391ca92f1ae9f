import Foundation

/// Cosine annealing from each group's base learning rate down to `etaMin` over `tMax` epochs, as
/// `torch.optim.lr_scheduler.CosineAnnealingLR`.
///
/// Uses PyTorch's closed form, `etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`, rather than its
/// recursive update: the values are the same without rounding drift, and past `tMax` the rate rises again
/// along the same cosine, as in PyTorch.
public final class CosineAnnealingLR: LRScheduler {
    /// Loading a state sets both to the saved ones ("T_max", "eta_min"), as in PyTorch.
    public private(set) var tMax: Int
    public private(set) var etaMin: Double

    public init(_ optimizer: any Optimizer, tMax: Int, etaMin: Double = 0) throws {
        try Self.check(tMax: tMax)
        self.tMax = tMax
        self.etaMin = etaMin
        super.init(optimizer)
    }

    private static func check(tMax: Int) throws {
        guard tMax >= 1 else { throw TorchError("CosineAnnealingLR T_max must be positive, got \(tMax)") }
    }

    override func learningRate(base: Double, current: Double, epoch: Int) -> Double {
        etaMin + (base - etaMin) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
    }

    override var settings: StateRecord { ["T_max": .int(tMax), "eta_min": .double(etaMin)] }

    override func loadSettings(_ saved: StateRecord, name: String) throws {
        let savedTMax = try saved.int("T_max", in: name)
        let savedEtaMin = try saved.double("eta_min", in: name)
        try Self.check(tMax: savedTMax)
        (tMax, etaMin) = (savedTMax, savedEtaMin)
    }
}
