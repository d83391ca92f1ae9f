import Foundation
import Testing
import Torch

/// Learning-rate schedules at epochs whose values are known in closed form.
@Suite("Optim schedulers")
struct OptimSchedulerTests {
    static func sgd(lr: Double) throws -> SGD { try SGD([Tensor([0.0]).requiresGrad(true)], lr: lr) }

    /// The learning rate of group 0 at epochs 0...epochs.
    static func trace(_ scheduler: LRScheduler, epochs: Int) -> [Double] {
        var rates = [scheduler.optimizer.learningRates[0]]
        for _ in 0..<epochs {
            scheduler.step()
            rates.append(scheduler.lastLRs[0])
        }
        return rates
    }

    static func close(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 }
    }

    @Test func stepLRDecaysEveryStepSizeEpochs() throws {
        let rates = Self.trace(try StepLR(Self.sgd(lr: 0.1), stepSize: 3, gamma: 0.1), epochs: 7)
        #expect(Self.close(rates, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]))
    }

    @Test func cosineAnnealingAtKnownEpochs() throws {
        // eta_min + (1 - eta_min) (1 + cos(pi t / 10)) / 2 with eta_min 0.1: t = 0 -> 1, t = 5 -> 0.55,
        // t = 10 -> 0.1, and past T_max it climbs back: t = 15 -> 0.55, t = 20 -> 1.
        let scheduler = try CosineAnnealingLR(Self.sgd(lr: 1), tMax: 10, etaMin: 0.1)
        let rates = Self.trace(scheduler, epochs: 20)
        #expect(Self.close([rates[0], rates[5], rates[10], rates[15], rates[20]], [1, 0.55, 0.1, 0.55, 1]))
        #expect(abs(rates[1] - (0.1 + 0.9 * (1 + cos(Double.pi / 10)) / 2)) <= 1e-15)
        #expect(scheduler.lastEpoch == 20)
    }

    @Test func plateauReducesAfterPatienceThenCoolsDownAndStopsAtMinLR() throws {
        // patience 2, factor 0.5, cooldown 2, min_lr 0.3; the metric improves twice (10, 9) then stays at 9.
        // Bad epochs 1, 2, 3 (> patience) -> 0.5; the next two epochs are cooldown and do not count; then bad
        // epochs 1, 2, 3 -> max(0.25, 0.3) = 0.3; later reductions stop at the floor.
        let sgd = try Self.sgd(lr: 1)
        let plateau = try ReduceLROnPlateau(sgd, factor: 0.5, patience: 2, cooldown: 2, minLR: 0.3)
        var rates: [Double] = []
        for metric in [10.0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9] {
            try plateau.step(metric)
            rates.append(sgd.learningRates[0])
        }
        #expect(rates == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
        #expect(plateau.best == 9)
    }

    @Test func plateauThresholdModes() throws {
        // min/rel: 9.9995 is not below 10 * (1 - 1e-4) = 9.999, so with patience 0 it reduces at once.
        let relSGD = try Self.sgd(lr: 1)
        let rel = try ReduceLROnPlateau(relSGD, patience: 0)
        try rel.step(10)
        try rel.step(9.9995)
        #expect(relSGD.learningRates == [0.1])
        // min/abs, threshold 0.1, patience 1: 9.8 improves on 10 (below 9.9); 9.75 and 9.71 are not below
        // 9.7, and the second of those bad epochs exceeds the patience.
        let absSGD = try Self.sgd(lr: 1)
        let abs = try ReduceLROnPlateau(absSGD, patience: 1, threshold: 0.1, thresholdMode: .abs)
        try abs.step(10)
        try abs.step(9.8)
        try abs.step(9.75)
        #expect(absSGD.learningRates == [1])
        try abs.step(9.71)
        #expect(absSGD.learningRates == [0.1])
        // max/rel, patience 0: 2 improves on 1; 2.0001 is not above 2 * (1 + 1e-4) = 2.0002.
        let maxSGD = try Self.sgd(lr: 1)
        let max = try ReduceLROnPlateau(maxSGD, mode: .max, patience: 0)
        try max.step(1)
        try max.step(2)
        #expect(maxSGD.learningRates == [1])
        try max.step(2.0001)
        #expect(maxSGD.learningRates == [0.1])
    }

    @Test func plateauPerGroupFloors() throws {
        let sgd = try SGD(groups: [ParamGroup(params: [Tensor([0.0]).requiresGrad(true)], lr: 1, options: .init()),
                                   ParamGroup(params: [Tensor([0.0]).requiresGrad(true)], lr: 1, options: .init())])
        let plateau = try ReduceLROnPlateau(sgd, factor: 0.5, patience: 0, minLRs: [0.6, 0.1])
        try plateau.step(1)
        try plateau.step(1)
        #expect(sgd.learningRates == [0.6, 0.5])
        #expect(throws: TorchError.self) { try ReduceLROnPlateau(sgd, minLRs: [0.1]) }
        #expect(throws: TorchError.self) { try ReduceLROnPlateau(sgd, factor: 1) }
    }
}
