import Testing
import Torch

/// Scheduler state dicts: PyTorch's keys, settings restored on load, and a resumed schedule continuing exactly.
@Suite("Scheduler state")
struct SchedulerStateTests {
    /// An SGD with two groups, the second at twice the first's rate.
    static func sgd(lr: Double) throws -> SGD {
        try SGD(groups: [ParamGroup(params: [Tensor([0.0]).requiresGrad(true)], lr: lr, options: .init()),
                         ParamGroup(params: [Tensor([0.0]).requiresGrad(true)], lr: 2 * lr, options: .init())])
    }

    static let torchKeys = ["base_lrs", "last_epoch", "_step_count", "_is_initial", "_get_lr_called_within_step",
                            "_last_lr"]

    /// Steps an uninterrupted schedule 9 epochs, and another 4 that is saved, rebuilt with other settings by
    /// `make(optimizer, variant: true)`, loaded and stepped 5 more: both must give the same rates.
    static func expectResumesExactly(_ make: (SGD, Bool) throws -> LRScheduler, settingKeys: [String]) throws {
        let reference = try sgd(lr: 0.1)
        let uninterrupted = try make(reference, false)
        var expected: [[Double]] = []
        for _ in 0..<9 {
            uninterrupted.step()
            expected.append(reference.learningRates)
        }

        let optimizer = try sgd(lr: 0.1)
        let interrupted = try make(optimizer, false)
        for _ in 0..<4 { interrupted.step() }
        let saved = interrupted.stateDict()
        let savedOptimizer = try optimizer.stateDict()
        #expect(Array(saved.keys) == settingKeys + torchKeys)
        #expect(saved["_step_count"].flatMap(\.intValue) == 5)

        let resumedOptimizer = try sgd(lr: 3)
        let resumed = try make(resumedOptimizer, true)
        try resumed.loadStateDict(saved)
        try resumedOptimizer.loadStateDict(savedOptimizer)
        var rates = Array(expected[..<4])
        for _ in 0..<5 {
            resumed.step()
            rates.append(resumedOptimizer.learningRates)
        }
        #expect(rates == expected)
        #expect(resumed.lastEpoch == 9 && resumed.lastLRs == uninterrupted.lastLRs)
        #expect(resumed.baseLRs == [0.1, 0.2])
        expectSame(resumed.stateDict(), uninterrupted.stateDict())
    }

    @Test func stepLRResumes() throws {
        try Self.expectResumesExactly({ optimizer, variant in
            try StepLR(optimizer, stepSize: variant ? 1 : 3, gamma: variant ? 0.9 : 0.5)
        }, settingKeys: ["step_size", "gamma"])
    }

    @Test func cosineAnnealingResumes() throws {
        try Self.expectResumesExactly({ optimizer, variant in
            try CosineAnnealingLR(optimizer, tMax: variant ? 100 : 7, etaMin: variant ? 0 : 0.01)
        }, settingKeys: ["T_max", "eta_min"])
    }

    @Test func plateauResumesInTheMiddleOfACooldown() throws {
        let metrics: [Double] = [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 8, 9, 9, 9]
        let reference = try Self.sgd(lr: 1)
        let uninterrupted = try ReduceLROnPlateau(reference, factor: 0.5, patience: 2, cooldown: 2, minLR: 0.3)
        var expected: [[Double]] = []
        for metric in metrics {
            try uninterrupted.step(metric)
            expected.append(reference.learningRates)
        }

        let optimizer = try Self.sgd(lr: 1)
        let interrupted = try ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2, cooldown: 2, minLR: 0.3)
        for metric in metrics[..<5] { try interrupted.step(metric) }
        #expect(interrupted.inCooldown)
        let saved = interrupted.stateDict()
        #expect(Array(saved.keys) == ["factor", "default_min_lr", "min_lrs", "patience", "cooldown", "eps",
                                      "last_epoch", "_last_lr", "mode_worse", "mode", "threshold", "threshold_mode",
                                      "best", "cooldown_counter", "num_bad_epochs"])
        let savedOptimizer = try optimizer.stateDict()

        let resumedOptimizer = try Self.sgd(lr: 5)
        let resumed = try ReduceLROnPlateau(resumedOptimizer, mode: .max, factor: 0.9, patience: 7,
                                            thresholdMode: .abs, minLRs: [0, 0])
        try resumed.loadStateDict(saved)
        try resumedOptimizer.loadStateDict(savedOptimizer)
        var rates = Array(expected[..<5])
        for metric in metrics[5...] {
            try resumed.step(metric)
            rates.append(resumedOptimizer.learningRates)
        }
        #expect(rates == expected)
        #expect(resumed.mode == .min && resumed.thresholdMode == .rel && resumed.patience == 2)
        expectSame(resumed.stateDict(), uninterrupted.stateDict())
    }

    @Test func loadRefusesAStateForAnotherGroupCount() throws {
        let saved = try StepLR(Self.sgd(lr: 0.1), stepSize: 2).stateDict()
        let single = try StepLR(SGD([Tensor([0.0]).requiresGrad(true)], lr: 0.1), stepSize: 5)
        let error = #expect(throws: TorchError.self) { try single.loadStateDict(saved) }
        #expect(error?.message.contains("2 base_lrs and 2 _last_lr for an optimiser with 1 parameter groups") == true)
        #expect(single.stepSize == 5)

        var noMode = try ReduceLROnPlateau(Self.sgd(lr: 1)).stateDict()
        noMode["mode"] = .string("lowest")
        let plateau = try ReduceLROnPlateau(Self.sgd(lr: 1), patience: 3)
        let modeError = #expect(throws: TorchError.self) { try plateau.loadStateDict(noMode) }
        #expect(modeError?.message.contains("mode 'lowest'") == true)
        #expect(plateau.patience == 3)
    }
}
